namespace TorrentActors.Engine.Metainfo;

/// <summary>One file of a torrent: its validated path components, length, and offset within the torrent's data.</summary>
public sealed record TorrentFile(IReadOnlyList<string> PathComponents, long Length, long Offset)
{
    /// <summary>The path relative to the torrent's root folder, with '/' separators.</summary>
    public string RelativePath => string.Join('/', PathComponents);

    public long EndOffset => Offset + Length;
}
