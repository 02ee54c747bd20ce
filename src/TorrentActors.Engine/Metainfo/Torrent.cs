using System.Buffers;
using TorrentActors.Engine.Bencoding;

namespace TorrentActors.Engine.Metainfo;

/// <summary>
/// A v1 metainfo file (BEP 3) with announce-list (BEP 12), url-list (BEP 19) and private (BEP 27).
/// Immutable; built by <see cref="Parse"/> from bytes or by the maker.
/// </summary>
public sealed class Torrent
{
    /// <summary>The largest .torrent we read; anything bigger is refused before it is decoded.</summary>
    public const int MaxFileSize = 16 * 1024 * 1024;

    /// <summary>
    /// The most bencode values a .torrent may hold: room for about 100,000 files, while keeping the memory a
    /// hostile 16 MiB file can make us allocate to tens of megabytes.
    /// </summary>
    public const int MaxValues = 1_000_000;

    private static readonly BencodeReaderOptions ReaderOptions = BencodeReaderOptions.Lenient with { MaxValues = MaxValues };

    /// <summary>The most content bytes a torrent may describe (1 PiB); larger totals are refused as hostile.</summary>
    public const long MaxTotalLength = 1L << 50;

    private Torrent(
        byte[] encoded,
        ReadOnlyMemory<byte> infoBytes,
        string name,
        long pieceLength,
        ReadOnlyMemory<byte> pieceHashes,
        IReadOnlyList<TorrentFile> files,
        bool isMultiFile,
        IReadOnlyList<IReadOnlyList<string>> announceTiers,
        IReadOnlyList<string> urlList,
        bool isPrivate,
        string? comment,
        string? createdBy,
        DateTimeOffset? creationDate)
    {
        EncodedBytes = encoded;
        InfoBytes = infoBytes;
        InfoHash = InfoHash.Compute(infoBytes.Span);
        Name = name;
        PieceLength = pieceLength;
        PieceHashes = pieceHashes;
        Files = files;
        IsMultiFile = isMultiFile;
        TotalLength = files.Count == 0 ? 0 : files[^1].EndOffset;
        AnnounceTiers = announceTiers;
        UrlList = urlList;
        IsPrivate = isPrivate;
        Comment = comment;
        CreatedBy = createdBy;
        CreationDate = creationDate;
    }

    /// <summary>The whole .torrent file as it was read or written.</summary>
    public ReadOnlyMemory<byte> EncodedBytes { get; }

    /// <summary>The bencoded info dictionary, byte for byte as received.</summary>
    public ReadOnlyMemory<byte> InfoBytes { get; }

    public InfoHash InfoHash { get; }

    public string Name { get; }

    public long PieceLength { get; }

    /// <summary>The concatenated 20-byte SHA-1 hashes of every piece.</summary>
    public ReadOnlyMemory<byte> PieceHashes { get; }

    public int PieceCount => PieceHashes.Length / 20;

    public IReadOnlyList<TorrentFile> Files { get; }

    public bool IsMultiFile { get; }

    public long TotalLength { get; }

    /// <summary>Tracker tiers (BEP 12); a lone <c>announce</c> becomes a single tier.</summary>
    public IReadOnlyList<IReadOnlyList<string>> AnnounceTiers { get; }

    public string? Announce => AnnounceTiers.Count > 0 && AnnounceTiers[0].Count > 0 ? AnnounceTiers[0][0] : null;

    /// <summary>Web seeds (BEP 19).</summary>
    public IReadOnlyList<string> UrlList { get; }

    public bool IsPrivate { get; }

    public string? Comment { get; }

    public string? CreatedBy { get; }

    public DateTimeOffset? CreationDate { get; }

    public ReadOnlySpan<byte> GetPieceHash(int index) => PieceHashes.Span.Slice(index * 20, 20);

    public int GetPieceSize(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, PieceCount);
        return index < PieceCount - 1 ? (int)PieceLength : (int)(TotalLength - ((long)index * PieceLength));
    }

    public static Torrent Load(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.None);
        if (stream.Length > MaxFileSize)
        {
            throw new MetainfoException($"'{path}' is {stream.Length} bytes; a .torrent may be at most {MaxFileSize}");
        }

        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Parse(bytes);
    }

    /// <exception cref="BencodeException">The bytes are not valid bencode.</exception>
    /// <exception cref="MetainfoException">The bencode is not a valid v1 torrent.</exception>
    public static Torrent Parse(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > MaxFileSize)
        {
            throw new MetainfoException($"a .torrent may be at most {MaxFileSize} bytes, this one is {bytes.Length}");
        }

        var owned = bytes.ToArray();
        var root = BencodeReader.Decode(owned, ReaderOptions) as BDictionary
            ?? throw new MetainfoException("the root value is not a dictionary");
        if (!root.TryGet<BDictionary>("info", out var info))
        {
            throw new MetainfoException("missing 'info' dictionary");
        }

        var name = RequiredText(info, "name");
        TorrentPaths.ValidateComponent(name, "torrent name");

        var pieceLength = RequiredInteger(info, "piece length");
        if (pieceLength <= 0 || pieceLength > 256L * 1024 * 1024)
        {
            throw new MetainfoException($"piece length {pieceLength} is out of range");
        }

        var pieces = info.Get<BString>("pieces") ?? throw new MetainfoException("missing 'pieces'");
        if (pieces.Length == 0 || pieces.Length % 20 != 0)
        {
            throw new MetainfoException($"'pieces' is {pieces.Length} bytes, not a positive multiple of 20");
        }

        var (files, multi) = ReadFiles(info, name);
        var total = files[^1].EndOffset;
        var expectedPieces = (total + pieceLength - 1) / pieceLength;
        if (total == 0 || expectedPieces != pieces.Length / 20)
        {
            throw new MetainfoException($"{pieces.Length / 20} piece hashes for {total} bytes at piece length {pieceLength} (expected {expectedPieces})");
        }

        var isPrivate = info.GetInteger("private") == 1;
        return new Torrent(
            owned,
            info.Raw,
            name,
            pieceLength,
            pieces.Bytes,
            files,
            multi,
            ReadTiers(root),
            ReadUrlList(root),
            isPrivate,
            root.GetText("comment"),
            root.GetText("created by"),
            root.GetInteger("creation date") is { } seconds && seconds is >= 0 and < 253402300800
                ? DateTimeOffset.FromUnixTimeSeconds(seconds)
                : null);
    }

    public static bool TryParse(ReadOnlyMemory<byte> bytes, out Torrent? torrent, out string? error)
    {
        try
        {
            torrent = Parse(bytes);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is BencodeException or MetainfoException)
        {
            torrent = null;
            error = ex.Message;
            return false;
        }
    }

    private static (IReadOnlyList<TorrentFile> Files, bool Multi) ReadFiles(BDictionary info, string name)
    {
        if (info.TryGet<BList>("files", out var list))
        {
            if (info.TryGetValue("length", out _))
            {
                throw new MetainfoException("info has both 'length' and 'files'");
            }

            if (list.Count == 0)
            {
                throw new MetainfoException("'files' is empty");
            }

            var files = new List<TorrentFile>(list.Count);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            long offset = 0;
            foreach (var item in list.Items)
            {
                if (item is not BDictionary file)
                {
                    throw new MetainfoException("an entry of 'files' is not a dictionary");
                }

                var length = RequiredInteger(file, "length");
                if (length < 0)
                {
                    throw new MetainfoException($"file length {length} is negative");
                }

                if (length > MaxTotalLength)
                {
                    throw new MetainfoException($"file length {length} is out of range");
                }

                if (!file.TryGet<BList>("path", out var path) || path.Count == 0)
                {
                    throw new MetainfoException("a file has no 'path'");
                }

                if (path.Count > TorrentPaths.MaxComponents)
                {
                    throw new MetainfoException($"a file path has {path.Count} components; at most {TorrentPaths.MaxComponents} are allowed");
                }

                var components = new string[path.Count];
                for (var i = 0; i < path.Count; i++)
                {
                    components[i] = (path[i] as BString ?? throw new MetainfoException("a path component is not a string")).Text;
                    if (TorrentPaths.FindProblem(components[i]) is { } problem)
                    {
                        throw new MetainfoException($"file '{string.Join('/', components.Take(i + 1))}' {problem}");
                    }
                }

                // BEP 47: attr "p" marks a pad file. Pads of one length share one path (".pad/16384"), and none is on disk,
                // so they are left out of the checks that two files never share a path or a folder.
                var isPad = file.Get<BString>("attr") is { } attr && attr.Span.IndexOf((byte)'p') >= 0;
                var relative = string.Join('/', components);
                if (!isPad && !seen.Add(relative))
                {
                    throw new MetainfoException($"file '{relative}' is listed twice");
                }

                if (length > MaxTotalLength - offset)
                {
                    throw new MetainfoException($"the files add up to more than {MaxTotalLength} bytes");
                }

                files.Add(new TorrentFile([name, .. components], length, offset) { IsPad = isPad });
                offset += length;
            }

            CheckNoFileIsAlsoAFolder(seen);
            return (files, true);
        }

        var single = RequiredInteger(info, "length");
        if (single < 0 || single > MaxTotalLength)
        {
            throw new MetainfoException($"length {single} is out of range");
        }

        return ([new TorrentFile([name], single, 0)], false);
    }

    /// <summary>
    /// A path used both as a file and as a folder ("a" and "a/b") cannot be laid out on disk. With '/' replaced by
    /// '\0' (which no valid component contains) and the paths sorted, a file's children sort right after it.
    /// </summary>
    private static void CheckNoFileIsAlsoAFolder(IEnumerable<string> relativePaths)
    {
        var keys = relativePaths.Select(p => p.Replace('/', '\0')).ToArray();
        Array.Sort(keys, StringComparer.Ordinal);
        for (var i = 1; i < keys.Length; i++)
        {
            var parent = keys[i - 1];
            if (keys[i].Length > parent.Length && keys[i][parent.Length] == '\0' && keys[i].StartsWith(parent, StringComparison.Ordinal))
            {
                throw new MetainfoException($"'{parent.Replace('\0', '/')}' is both a file and a folder");
            }
        }
    }

    private static IReadOnlyList<IReadOnlyList<string>> ReadTiers(BDictionary root)
    {
        var tiers = new List<IReadOnlyList<string>>();
        if (root.TryGet<BList>("announce-list", out var list))
        {
            foreach (var tier in list.Items.OfType<BList>())
            {
                var urls = tier.Items.OfType<BString>().Select(s => s.Text).Where(IsUsableUrl).ToArray();
                if (urls.Length > 0)
                {
                    tiers.Add(urls);
                }
            }
        }

        if (tiers.Count == 0 && root.GetText("announce") is { } announce && IsUsableUrl(announce))
        {
            tiers.Add([announce]);
        }

        return tiers;
    }

    private static IReadOnlyList<string> ReadUrlList(BDictionary root) =>
        root["url-list"] switch
        {
            BString one when IsUsableUrl(one.Text) => [one.Text],
            BList many => many.Items.OfType<BString>().Select(s => s.Text).Where(IsUsableUrl).ToArray(),
            _ => [],
        };

    private static bool IsUsableUrl(string url) => url.Length > 0 && Uri.TryCreate(url, UriKind.Absolute, out _);

    private static string RequiredText(BDictionary dictionary, string key) =>
        dictionary.Get<BString>(key)?.Text ?? throw new MetainfoException($"missing or non-string '{key}'");

    private static long RequiredInteger(BDictionary dictionary, string key) =>
        dictionary.GetInteger(key) ?? throw new MetainfoException($"missing or non-integer '{key}'");

    /// <summary>Builds the full .torrent bytes around an encoded info dictionary (used by the maker).</summary>
    public static Torrent Create(
        ReadOnlySpan<byte> encodedInfo,
        IReadOnlyList<IReadOnlyList<string>> announceTiers,
        IReadOnlyList<string>? urlList = null,
        string? comment = null,
        string? createdBy = null,
        DateTimeOffset? creationDate = null)
    {
        var buffer = new ArrayBufferWriter<byte>(encodedInfo.Length + 512);
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        var first = announceTiers.FirstOrDefault()?.FirstOrDefault();
        if (first is not null)
        {
            writer.WriteString("announce");
            writer.WriteString(first);
        }

        if (announceTiers.Count > 1 || (announceTiers.Count == 1 && announceTiers[0].Count > 1))
        {
            writer.WriteString("announce-list");
            writer.WriteStartList();
            foreach (var tier in announceTiers)
            {
                writer.WriteStartList();
                foreach (var url in tier)
                {
                    writer.WriteString(url);
                }

                writer.WriteEnd();
            }

            writer.WriteEnd();
        }

        if (comment is not null)
        {
            writer.WriteString("comment");
            writer.WriteString(comment);
        }

        if (createdBy is not null)
        {
            writer.WriteString("created by");
            writer.WriteString(createdBy);
        }

        if (creationDate is { } date)
        {
            writer.WriteString("creation date");
            writer.WriteInteger(date.ToUnixTimeSeconds());
        }

        writer.WriteString("info");
        writer.WriteRaw(encodedInfo);
        if (urlList is { Count: > 0 })
        {
            writer.WriteString("url-list");
            writer.WriteStartList();
            foreach (var url in urlList)
            {
                writer.WriteString(url);
            }

            writer.WriteEnd();
        }

        writer.WriteEnd();
        return Parse(buffer.WrittenMemory);
    }
}
