using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace TorrentActors.Engine.Making;

/// <summary>
/// SHA-1 of every piece of a list of files laid end to end. Workers pull batches of whole pieces
/// (about 1 MiB) from a shared counter, read each batch with positional reads into a pooled buffer,
/// and hash the pieces in it; a piece may start in one file and end in the next.
/// </summary>
internal static class PieceHasher
{
    private const int HashLength = 20;

    /// <summary>
    /// Bytes per batch read (rounded to whole pieces, at least one). Measured on a 1 GiB file in page cache:
    /// 1 MiB reads keep the data in the core's L2 while it is hashed and cost about 15% less CPU than 8 MiB reads;
    /// the kernel's readahead (SequentialScan) keeps disk reads large either way.
    /// </summary>
    private const int TargetBatchBytes = 1024 * 1024;

    public static async Task<byte[]> HashAsync(
        IReadOnlyList<SourceFile> files,
        long totalBytes,
        long pieceLength,
        int workers,
        IProgress<MakeProgress>? progress,
        CancellationToken cancellationToken)
    {
        var pieceCount = checked((int)((totalBytes + pieceLength - 1) / pieceLength));
        var piecesPerBatch = (int)Math.Max(1, TargetBatchBytes / pieceLength);
        var batchCount = (pieceCount + piecesPerBatch - 1) / piecesPerBatch;
        var job = new Job(files, totalBytes, pieceLength, pieceCount, piecesPerBatch, batchCount, progress);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = new Task[Math.Min(workers, batchCount)];
        for (var i = 0; i < tasks.Length; i++)
        {
            tasks[i] = Task.Factory.StartNew(
                () => job.Work(stop),
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        job.Failure?.Throw();
        cancellationToken.ThrowIfCancellationRequested();
        return job.Pieces;
    }

    private sealed class Job(
        IReadOnlyList<SourceFile> files,
        long totalBytes,
        long pieceLength,
        int pieceCount,
        int piecesPerBatch,
        int batchCount,
        IProgress<MakeProgress>? progress)
    {
        private int _nextBatch = -1;
        private long _bytesHashed;
        private ExceptionDispatchInfo? _failure;

        public byte[] Pieces { get; } = new byte[pieceCount * HashLength];

        public ExceptionDispatchInfo? Failure => Volatile.Read(ref _failure);

        /// <summary>One worker: pulls batches until none are left, the run is cancelled, or another worker failed.</summary>
        public void Work(CancellationTokenSource stop)
        {
            var buffer = ArrayPool<byte>.Shared.Rent((int)(piecesPerBatch * pieceLength));
            var open = new OpenFile();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var batch = Interlocked.Increment(ref _nextBatch);
                    if (batch >= batchCount)
                    {
                        return;
                    }

                    var firstPiece = batch * piecesPerBatch;
                    var endPiece = Math.Min(pieceCount, firstPiece + piecesPerBatch);
                    var start = firstPiece * pieceLength;
                    var end = Math.Min(totalBytes, endPiece * pieceLength);
                    var data = buffer.AsSpan(0, (int)(end - start));
                    Read(start, data, open);
                    for (var piece = firstPiece; piece < endPiece; piece++)
                    {
                        var offset = (int)((piece - firstPiece) * pieceLength);
                        var length = (int)Math.Min(pieceLength, data.Length - offset);
                        SHA1.HashData(data.Slice(offset, length), Pieces.AsSpan(piece * HashLength, HashLength));
                    }

                    var hashed = Interlocked.Add(ref _bytesHashed, data.Length);
                    progress?.Report(new MakeProgress(hashed, totalBytes));
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(ex), null);
                stop.Cancel();
            }
            finally
            {
                open.Dispose();
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Fills <paramref name="destination"/> with the stream bytes from <paramref name="start"/>, across files.</summary>
        private void Read(long start, Span<byte> destination, OpenFile open)
        {
            var index = FindFile(start);
            var position = start;
            var filled = 0;
            while (filled < destination.Length)
            {
                var file = files[index++];
                if (file.Length == 0)
                {
                    continue;
                }

                var inFile = position - file.Offset;
                var count = (int)Math.Min(file.Length - inFile, destination.Length - filled);
                ReadExactly(open.Get(file), file, destination.Slice(filled, count), inFile);

                filled += count;
                position += count;
            }
        }

        private static void ReadExactly(SafeFileHandle handle, SourceFile file, Span<byte> destination, long fileOffset)
        {
            var done = 0;
            while (done < destination.Length)
            {
                var read = RandomAccess.Read(handle, destination[done..], fileOffset + done);
                if (read == 0)
                {
                    throw new TorrentMakerException($"'{file.FullPath}' got shorter while it was being hashed (expected {file.Length} bytes)");
                }

                done += read;
            }
        }

        /// <summary>A worker's current file handle, kept while consecutive batches stay in the same file.</summary>
        private sealed class OpenFile : IDisposable
        {
            private SourceFile? _file;
            private SafeFileHandle? _handle;

            public SafeFileHandle Get(SourceFile file)
            {
                if (!ReferenceEquals(file, _file) || _handle is null)
                {
                    _handle?.Dispose();
                    _handle = null;
                    _handle = File.OpenHandle(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
                    _file = file;
                }

                return _handle;
            }

            public void Dispose() => _handle?.Dispose();
        }

        /// <summary>The index of the non-empty file that holds stream byte <paramref name="offset"/>.</summary>
        private int FindFile(long offset)
        {
            int lo = 0, hi = files.Count - 1;
            while (lo < hi)
            {
                var mid = (lo + hi + 1) >>> 1;
                if (files[mid].Offset <= offset)
                {
                    lo = mid;
                }
                else
                {
                    hi = mid - 1;
                }
            }

            // Empty files share their offset with the next file; step past them.
            while (files[lo].Length == 0 || files[lo].Offset + files[lo].Length <= offset)
            {
                lo++;
            }

            return lo;
        }
    }
}
