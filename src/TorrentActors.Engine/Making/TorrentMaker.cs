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
}

public sealed record MakeProgress(long BytesHashed, long TotalBytes);

/// <summary>Makes v1 torrents from a file or a directory.</summary>
public static class TorrentMaker
{
    public static Task<Torrent> CreateAsync(
        string path,
        TorrentMakerOptions options,
        IProgress<MakeProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("the maker lands with the foundation work");
}
