using System.Buffers;
using System.Collections.Immutable;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using TorrentActors.Engine.Hashing;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;

namespace TorrentActors.Engine.Storage;

/// <summary>
/// Maps a torrent's byte range onto its files under one folder (every path through
/// <see cref="TorrentPaths.Resolve"/>), with positional reads and writes on cached handles.
/// Files are created on first write; reading a missing file is a <see cref="FileNotFoundException"/>.
/// BEP 47 pad files (<see cref="TorrentFile.IsPad"/>) never touch the disk: writes into them are dropped (the piece's
/// hash, taken over the whole piece, already proved them zeros), reads give zeros, and they always count as present.
/// Safe to use from many threads at once: each read or write holds the file's handle for the length of the call,
/// and a handle that is replaced (a read-only one upgraded for a write) or closed is disposed only once the last
/// call using it has returned.
/// </summary>
public sealed class TorrentStorage : IDisposable
{
    /// <summary>Bytes read per step when pieces are checked together: 64 KiB of each of 16 pieces.</summary>
    private const int GroupSliceBytes = 1024 * 1024;

    private readonly Torrent _torrent;
    private readonly string[] _paths;
    private readonly long[] _offsets;
    private readonly OpenFile?[] _open;
    private readonly object _sync = new();
    private bool _disposed;

    public TorrentStorage(Torrent torrent, string directory)
    {
        _torrent = torrent;
        Directory = Path.GetFullPath(directory);
        _paths = torrent.Files.Select(f => TorrentPaths.Resolve(Directory, f.PathComponents)).ToArray();
        _offsets = torrent.Files.Select(f => f.Offset).ToArray();
        _open = new OpenFile?[_paths.Length];
    }

    public string Directory { get; }

    public IReadOnlyList<string> FilePaths => _paths;

    /// <summary>Writes <paramref name="data"/> at torrent offset <paramref name="offset"/>, across file boundaries.</summary>
    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        CheckRange(offset, data.Length);
        var file = FileAt(offset);
        var done = 0;
        while (done < data.Length)
        {
            var inFile = offset + done - _offsets[file];
            var run = (int)Math.Min(data.Length - done, _torrent.Files[file].Length - inFile);
            if (run > 0 && _torrent.Files[file].IsPad)
            {
                done += run;
            }
            else if (run > 0)
            {
                var open = Acquire(file, write: true);
                try
                {
                    RandomAccess.Write(open.Handle, data.Slice(done, run), inFile);
                }
                finally
                {
                    Release(open);
                }

                done += run;
            }

            file++;
        }
    }

    /// <summary>Fills <paramref name="destination"/> from torrent offset <paramref name="offset"/>; a short file throws <see cref="EndOfStreamException"/>.</summary>
    public void Read(long offset, Span<byte> destination)
    {
        CheckRange(offset, destination.Length);
        var file = FileAt(offset);
        var done = 0;
        while (done < destination.Length)
        {
            var inFile = offset + done - _offsets[file];
            var run = (int)Math.Min(destination.Length - done, _torrent.Files[file].Length - inFile);
            if (run <= 0)
            {
                file++;
                continue;
            }

            if (_torrent.Files[file].IsPad)
            {
                destination.Slice(done, run).Clear();
                done += run;
                file++;
                continue;
            }

            int read;
            var open = Acquire(file, write: false);
            try
            {
                read = RandomAccess.Read(open.Handle, destination.Slice(done, run), inFile);
            }
            finally
            {
                Release(open);
            }

            if (read == 0)
            {
                throw new EndOfStreamException($"'{_paths[file]}' ends before offset {inFile}");
            }

            done += read;
        }
    }

    private void CheckRange(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > _torrent.TotalLength)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset + length}) is outside the torrent's {_torrent.TotalLength} bytes");
        }
    }

    /// <summary>The last file that starts at or before <paramref name="offset"/> (empty files share offsets).</summary>
    private int FileAt(long offset)
    {
        var index = Array.BinarySearch(_offsets, offset);
        if (index < 0)
        {
            index = ~index - 1;
        }

        while (index + 1 < _offsets.Length && _offsets[index + 1] <= offset)
        {
            index++;
        }

        return Math.Max(0, index);
    }

    /// <summary>True when every file that holds part of <paramref name="piece"/> exists and is long enough.</summary>
    public bool PieceDataPresent(int piece)
    {
        var offset = piece * _torrent.PieceLength;
        foreach (var (file, fileOffset, _, length) in Segments(offset, _torrent.GetPieceSize(piece)))
        {
            if (_torrent.Files[file].IsPad)
            {
                continue;
            }

            var info = new FileInfo(_paths[file]);
            if (!info.Exists || info.Length < fileOffset + length)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Hashes every piece whose data is present, in parallel; returns the pieces that match. A file that is there but
    /// cannot be read throws its own exception (an <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/>),
    /// not an <see cref="AggregateException"/>. Where the CPU has
    /// multi-buffer SHA-1 worth using (<see cref="Sha1MultiBuffer.PreferredLaneCount"/>), whole pieces are checked
    /// 16 at a time, about 2.5 times as fast per core as one by one.
    /// </summary>
    public BitField Verify(int parallelism, CancellationToken cancellationToken) =>
        Verify(parallelism, Sha1MultiBuffer.PreferredLaneCount, cancellationToken);

    /// <summary>As <see cref="Verify(int, CancellationToken)"/>, for the pieces set in <paramref name="only"/>; the others are reported missing.</summary>
    public BitField Verify(int parallelism, BitField only, CancellationToken cancellationToken) =>
        Verify(parallelism, Sha1MultiBuffer.PreferredLaneCount, cancellationToken, only);

    /// <summary>
    /// The pieces a starting session may count as verified: those <paramref name="resume"/> records whose files all
    /// still carry their recorded stamps are trusted without being read; every other piece is hashed (where its
    /// data is present). Without resume data every piece is hashed. <paramref name="hashed"/> counts the pieces
    /// that had to be checked.
    /// </summary>
    public BitField Check(ResumeData? resume, int parallelism, CancellationToken cancellationToken, out int hashed)
    {
        var trusted = new BitField(_torrent.PieceCount);
        if (resume is not null && resume.Files.Length == _paths.Length && resume.Verified.Length == _torrent.PieceCount)
        {
            var now = StampFiles();
            var unchanged = now.Select((stamp, i) => stamp.Exists && stamp == resume.Files[i]).ToArray();
            for (var piece = 0; piece < _torrent.PieceCount; piece++)
            {
                trusted[piece] = resume.Verified[piece] && FilesOf(piece).All(file => unchanged[file]);
            }
        }

        var toCheck = new BitField(_torrent.PieceCount);
        for (var piece = 0; piece < _torrent.PieceCount; piece++)
        {
            toCheck[piece] = !trusted[piece];
        }

        hashed = toCheck.TrueCount;
        if (hashed > 0)
        {
            var found = Verify(parallelism, toCheck, cancellationToken);
            for (var piece = 0; piece < _torrent.PieceCount; piece++)
            {
                trusted[piece] |= found[piece];
            }
        }

        return trusted;
    }

    /// <summary>
    /// The stamp (size and last write time) of every file, in the torrent's order; a pad file's is its length at time 0,
    /// always the same, since it is never on disk.
    /// </summary>
    public ImmutableArray<FileStamp> StampFiles() =>
        [.. _paths.Select((path, i) => _torrent.Files[i].IsPad ? new FileStamp(_torrent.Files[i].Length, 0) : FileStamp.Of(path))];

    /// <summary>The indexes of the files that hold part of <paramref name="piece"/> (empty files hold none).</summary>
    public IEnumerable<int> FilesOf(int piece) =>
        Segments(piece * _torrent.PieceLength, _torrent.GetPieceSize(piece)).Select(s => s.File);

    /// <summary>As above, with <paramref name="lanes"/> pieces hashed together (0 or 1: one at a time), so tests can choose.</summary>
    internal BitField Verify(int parallelism, int lanes, CancellationToken cancellationToken, BitField? only = null)
    {
        var group = Math.Max(1, lanes);
        var results = new bool[_torrent.PieceCount];
        var groups = (_torrent.PieceCount + group - 1) / group;
        try
        {
            Parallel.For(0, groups, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken }, g =>
            {
                var first = g * group;
                var count = Math.Min(group, _torrent.PieceCount - first);
                var all = only is null || Enumerable.Range(first, count).All(p => only[p]);
                if (all && count > 1 && count == lanes && TryVerifyGroup(first, lanes, results))
                {
                    return;
                }

                for (var piece = first; piece < first + count; piece++)
                {
                    results[piece] = (only is null || only[piece]) && VerifyPiece(piece);
                }
            });
        }
        catch (AggregateException e)
        {
            // Callers sort errors by type (an unreadable file is an IOException): give them the first real one.
            ExceptionDispatchInfo.Capture(e.Flatten().InnerExceptions[0]).Throw();
            throw;
        }

        var have = new BitField(_torrent.PieceCount);
        for (var i = 0; i < results.Length; i++)
        {
            have[i] = results[i];
        }

        return have;
    }

    /// <summary>
    /// Checks <paramref name="lanes"/> whole pieces from <paramref name="first"/> together with multi-buffer SHA-1,
    /// reading each in slices (<see cref="GroupSliceBytes"/> for all lanes together, whatever the piece length).
    /// Returns false, having decided nothing, when a piece is short or its data is missing: the caller then checks
    /// the pieces one by one.
    /// </summary>
    private unsafe bool TryVerifyGroup(int first, int lanes, bool[] results)
    {
        var pieceLength = (int)_torrent.PieceLength;
        for (var piece = first; piece < first + lanes; piece++)
        {
            if (_torrent.GetPieceSize(piece) != pieceLength || !PieceDataPresent(piece))
            {
                return false;
            }
        }

        // Each lane's slice is whole 64-byte blocks; a piece shorter than one slice (of any length) is fed at once.
        var slice = GroupSliceBytes / lanes;
        var buffer = ArrayPool<byte>.Shared.Rent(slice * lanes);
        try
        {
            Span<nint> messages = stackalloc nint[lanes];
            Span<byte> digests = stackalloc byte[lanes * Sha1MultiBuffer.DigestLength];
            var hash = new Sha1MultiBuffer.Sliced(pieceLength, slice);
            fixed (byte* scratch = buffer)
            {
                while (hash.Next(out var done, out var length))
                {
                    for (var lane = 0; lane < lanes; lane++)
                    {
                        Read(((first + lane) * _torrent.PieceLength) + done, buffer.AsSpan(lane * slice, length));
                        messages[lane] = (nint)(scratch + (lane * slice));
                    }

                    hash.Feed(messages, digests);
                }
            }

            for (var lane = 0; lane < lanes; lane++)
            {
                var digest = digests.Slice(lane * Sha1MultiBuffer.DigestLength, Sha1MultiBuffer.DigestLength);
                results[first + lane] = digest.SequenceEqual(_torrent.GetPieceHash(first + lane));
            }

            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or EndOfStreamException)
        {
            return false; // A file vanished or shrank meanwhile: let the one-by-one check decide.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public bool VerifyPiece(int piece)
    {
        if (!PieceDataPresent(piece))
        {
            return false;
        }

        var size = _torrent.GetPieceSize(piece);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            Read(piece * _torrent.PieceLength, buffer.AsSpan(0, size));
            return HashMatches(piece, buffer.AsSpan(0, size));
        }
        catch (FileNotFoundException)
        {
            return false;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public bool HashMatches(int piece, ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(data, hash);
        return hash.SequenceEqual(_torrent.GetPieceHash(piece));
    }

    /// <summary>Creates the zero-length files (no piece ever writes to them) once a download completes.</summary>
    public void CreateEmptyFiles()
    {
        for (var i = 0; i < _paths.Length; i++)
        {
            if (_torrent.Files[i] is { Length: 0, IsPad: false } && !File.Exists(_paths[i]))
            {
                System.IO.Directory.CreateDirectory(Path.GetDirectoryName(_paths[i])!);
                File.WriteAllBytes(_paths[i], []);
            }
        }
    }

    /// <summary>Closes all handles (they reopen on demand); one that a call is using closes when that call returns.</summary>
    public void CloseHandles()
    {
        lock (_sync)
        {
            for (var i = 0; i < _open.Length; i++)
            {
                if (_open[i] is { } open)
                {
                    Retire(open);
                    _open[i] = null;
                }
            }
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            _disposed = true;
        }

        CloseHandles();
    }

    /// <summary>The open handle of <paramref name="file"/> (writable when asked), counted as in use until <see cref="Release"/>.</summary>
    private OpenFile Acquire(int file, bool write)
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var open = _open[file];
            if (open is null || (write && !open.Writable))
            {
                var opened = write ? OpenForWriting(_paths[file]) : File.OpenHandle(_paths[file], FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                if (open is not null)
                {
                    Retire(open);
                }

                open = _open[file] = new OpenFile(opened, write);
            }

            open.Users++;
            return open;
        }
    }

    private void Release(OpenFile open)
    {
        lock (_sync)
        {
            if (--open.Users == 0 && open.Retired)
            {
                open.Handle.Dispose();
            }
        }
    }

    /// <summary>No call gets <paramref name="open"/> any more; it is disposed now, or when the last call using it returns.</summary>
    private static void Retire(OpenFile open)
    {
        open.Retired = true;
        if (open.Users == 0)
        {
            open.Handle.Dispose();
        }
    }

    private static SafeFileHandle OpenForWriting(string path)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>A file's handle with the count of calls using it; guarded by the storage's lock.</summary>
    private sealed class OpenFile(SafeFileHandle handle, bool writable)
    {
        public SafeFileHandle Handle { get; } = handle;

        public bool Writable { get; } = writable;

        public int Users { get; set; }

        public bool Retired { get; set; }
    }

    /// <summary>Splits [offset, offset+length) into (file, offset in file, offset in buffer, length) runs, skipping empty files.</summary>
    internal IEnumerable<(int File, long FileOffset, int Start, int Length)> Segments(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > _torrent.TotalLength)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, {offset + length}) is outside the torrent's {_torrent.TotalLength} bytes");
        }

        var index = Array.BinarySearch(_offsets, offset);
        if (index < 0)
        {
            index = ~index - 1;
        }

        // Several files can share an offset (empty files): move to the last of them that starts at or before offset.
        while (index + 1 < _offsets.Length && _offsets[index + 1] <= offset)
        {
            index++;
        }

        var done = 0;
        while (done < length)
        {
            var file = _torrent.Files[index];
            var position = offset + done;
            var inFile = position - file.Offset;
            var run = (int)Math.Min(length - done, file.Length - inFile);
            if (run > 0)
            {
                yield return (index, inFile, done, run);
                done += run;
            }

            index++;
        }
    }
}
