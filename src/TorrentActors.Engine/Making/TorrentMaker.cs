using System.Buffers;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Engine.Making;

public sealed record TorrentMakerOptions
{
    /// <summary>Tracker tiers (BEP 12); the first URL of the first tier becomes <c>announce</c>.</summary>
    public IReadOnlyList<IReadOnlyList<string>> AnnounceTiers { get; init; } = [];

    /// <summary>A power of two from 16 KiB to 16 MiB, or null to choose one automatically.</summary>
    public long? PieceLength { get; init; }

    public bool Private { get; init; }

    public string? Comment { get; init; }

    public string? CreatedBy { get; init; } = "TorrentActors";

    public DateTimeOffset? CreationDate { get; init; }

    public IReadOnlyList<string> UrlList { get; init; } = [];

    /// <summary>The name in the info dictionary; defaults to the file or folder name.</summary>
    public string? Name { get; init; }

    /// <summary>Include files and folders whose name starts with a dot (skipped by default).</summary>
    public bool IncludeHidden { get; init; }

    /// <summary>Hashing threads; null means one per processor.</summary>
    public int? Workers { get; init; }
}

public sealed record MakeProgress(long BytesHashed, long TotalBytes);

/// <summary>The input cannot be made into a torrent (nothing to hash, bad piece length, data changed while hashing).</summary>
public sealed class TorrentMakerException(string message) : IOException(message);

/// <summary>
/// Makes v1 torrents (BEP 3) from a file or a directory, with the same info dictionary mktorrent writes
/// (<c>files</c>/<c>length</c>, <c>name</c>, <c>piece length</c>, <c>pieces</c>, and <c>private</c> only when
/// private), so the infohash matches mktorrent's for the same data, name and piece length.
/// </summary>
/// <remarks>
/// <para>Directory contents are listed recursively and ordered by relative path, compared as UTF-8 bytes with
/// '/' separators: the order mktorrent produces. Empty files are listed with length 0, as mktorrent does.</para>
/// <para>Symbolic links inside a directory are deliberately skipped, never followed: following them could pull in
/// data from outside the folder or loop forever. (mktorrent follows them, so a tree with links gives a different
/// torrent.) A link given directly as <c>path</c> is followed, since the caller named it. Files and folders whose
/// name starts with '.' are skipped unless <see cref="TorrentMakerOptions.IncludeHidden"/> is set. Special files
/// (FIFOs, sockets, devices) inside a directory are skipped and never opened, as mktorrent does.</para>
/// <para>Pieces are hashed on every core: one worker per core claims the next batch of whole pieces and hashes it,
/// 16 pieces at once with multi-buffer SHA-1 where the CPU has AVX-512 (about 2.5 times as fast as SHA-NI), else
/// each piece with <see cref="System.Security.Cryptography.SHA1.HashData(ReadOnlySpan{byte}, Span{byte})"/> (see
/// PieceHasher). A batch inside one big file is hashed straight from the page cache through a memory map held
/// under a read lease
/// (no copy, and a truncation makes the writer wait instead of crashing us); other batches are read with positional
/// reads into pooled buffers (pieces cross file boundaries).</para>
/// </remarks>
public static class TorrentMaker
{
    public const long MinPieceLength = 16 * 1024;

    public const long MaxPieceLength = 16 * 1024 * 1024;

    /// <summary>The automatic piece length aims at no more than this many pieces (so 1,000 to 2,000 for mid sizes).</summary>
    public const int TargetMaxPieces = 2000;

    public static bool IsValidPieceLength(long pieceLength) =>
        pieceLength is >= MinPieceLength and <= MaxPieceLength && (pieceLength & (pieceLength - 1)) == 0;

    /// <summary>The smallest power of two from 16 KiB to 16 MiB that keeps the piece count at or under 2,000.</summary>
    public static long ChoosePieceLength(long totalBytes)
    {
        var length = MinPieceLength;
        while (length < MaxPieceLength && (totalBytes + length - 1) / length > TargetMaxPieces)
        {
            length <<= 1;
        }

        return length;
    }

    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="path"/>.</exception>
    /// <exception cref="TorrentMakerException">No bytes to hash, a bad piece length, or a file changed while hashing.</exception>
    /// <exception cref="MetainfoException">A file or the name cannot be written safely into a torrent.</exception>
    public static async Task<Torrent> CreateAsync(
        string path,
        TorrentMakerOptions options,
        IProgress<MakeProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        if (options.PieceLength is { } given && !IsValidPieceLength(given))
        {
            throw new TorrentMakerException(
                $"piece length {given} is not a power of two from {MinPieceLength} (16 KiB) to {MaxPieceLength} (16 MiB)");
        }

        var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var isDirectory = Directory.Exists(fullPath);
        if (!isDirectory && !File.Exists(fullPath))
        {
            throw new FileNotFoundException($"'{path}' does not exist", path);
        }

        var name = options.Name ?? Path.GetFileName(fullPath);
        TorrentPaths.ValidateComponent(name, "torrent name");

        var files = isDirectory ? ListDirectory(fullPath, options.IncludeHidden) : [SourceFile.ForSingle(fullPath)];
        var total = files.Count == 0 ? 0 : files[^1].Offset + files[^1].Length;
        if (total == 0)
        {
            throw new TorrentMakerException(isDirectory
                ? $"'{path}' contains no data to share (no non-empty files{(options.IncludeHidden ? "" : " that are not hidden")})"
                : $"'{path}' is empty; a torrent needs at least one byte");
        }

        var pieceLength = options.PieceLength ?? ChoosePieceLength(total);
        var workers = Math.Max(1, options.Workers ?? Environment.ProcessorCount);
        var pieces = (await PieceHasher.HashAsync(files, total, pieceLength, workers, progress, cancellationToken).ConfigureAwait(false)).Pieces;

        var info = EncodeInfo(name, files, isDirectory, pieceLength, pieces, options.Private);
        return Torrent.Create(info, options.AnnounceTiers, options.UrlList, options.Comment, options.CreatedBy, options.CreationDate);
    }

    /// <summary>The info dictionary with its keys in sorted order, exactly the keys mktorrent writes.</summary>
    private static byte[] EncodeInfo(string name, IReadOnlyList<SourceFile> files, bool multiFile, long pieceLength, byte[] pieces, bool isPrivate)
    {
        var buffer = new ArrayBufferWriter<byte>(pieces.Length + 256 + (files.Count * 64));
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        if (multiFile)
        {
            writer.WriteString("files");
            writer.WriteStartList();
            foreach (var file in files)
            {
                writer.WriteStartDictionary();
                writer.WriteString("length");
                writer.WriteInteger(file.Length);
                writer.WriteString("path");
                writer.WriteStartList();
                foreach (var component in file.Components)
                {
                    writer.WriteString(component);
                }

                writer.WriteEnd();
                writer.WriteEnd();
            }

            writer.WriteEnd();
        }
        else
        {
            writer.WriteString("length");
            writer.WriteInteger(files[0].Length);
        }

        writer.WriteString("name");
        writer.WriteString(name);
        writer.WriteString("piece length");
        writer.WriteInteger(pieceLength);
        writer.WriteString("pieces");
        writer.WriteString(pieces);
        if (isPrivate)
        {
            writer.WriteString("private");
            writer.WriteInteger(1);
        }

        writer.WriteEnd();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Regular files under <paramref name="root"/>, without following links, in mktorrent's order.</summary>
    internal static IReadOnlyList<SourceFile> ListDirectory(string root, bool includeHidden)
    {
        var found = new List<(string FullPath, string[] Components, byte[] SortKey, long Length)>();
        var pending = new Stack<(DirectoryInfo Folder, string[] Components)>();
        pending.Push((new DirectoryInfo(root), []));
        while (pending.Count > 0)
        {
            var (folder, prefix) = pending.Pop();
            foreach (var entry in folder.EnumerateFileSystemInfos("*", new EnumerationOptions
            {
                RecurseSubdirectories = false,
                AttributesToSkip = 0,
                IgnoreInaccessible = false,
                ReturnSpecialDirectories = false,
            }))
            {
                if (entry.LinkTarget is not null || entry.Attributes.HasFlag(FileAttributes.ReparsePoint))
                {
                    continue;
                }

                if (!includeHidden && entry.Name.StartsWith('.'))
                {
                    continue;
                }

                string[] components = [.. prefix, entry.Name];
                if (entry is DirectoryInfo subfolder)
                {
                    pending.Push((subfolder, components));
                }
                else if (entry is FileInfo file && FileKind.IsRegularFile(file.FullName))
                {
                    var relative = string.Join('/', components);
                    found.Add((file.FullName, components, System.Text.Encoding.UTF8.GetBytes(relative), file.Length));
                }
            }
        }

        found.Sort(static (a, b) => a.SortKey.AsSpan().SequenceCompareTo(b.SortKey));
        var files = new SourceFile[found.Count];
        long offset = 0;
        for (var i = 0; i < found.Count; i++)
        {
            files[i] = new SourceFile(found[i].FullPath, found[i].Components, found[i].Length, offset);
            offset += found[i].Length;
        }

        return files;
    }
}

/// <summary>One file to hash: where it is, its path inside the torrent, its length and its offset in the piece stream.</summary>
internal sealed record SourceFile(string FullPath, IReadOnlyList<string> Components, long Length, long Offset)
{
    public static SourceFile ForSingle(string fullPath) => new(fullPath, [Path.GetFileName(fullPath)], new FileInfo(fullPath).Length, 0);
}
