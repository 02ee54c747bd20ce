namespace TorrentActors.Engine.Metainfo;

/// <summary>One file of a torrent: its validated path components, length, and offset within the torrent's data.</summary>
public sealed record TorrentFile(IReadOnlyList<string> PathComponents, long Length, long Offset)
{
    /// <summary>
    /// A BEP 47 pad file (<c>attr</c> holds <c>p</c>, wherever its path points, usually <c>.pad/N</c>): zeros that align
    /// the next file to a piece boundary. Never created, written or read on disk: it reads as zeros and is always present.
    /// </summary>
    public bool IsPad { get; init; }

    /// <summary>The path relative to the torrent's root folder, with '/' separators.</summary>
    public string RelativePath => string.Join('/', PathComponents);

    public long EndOffset => Offset + Length;
}
