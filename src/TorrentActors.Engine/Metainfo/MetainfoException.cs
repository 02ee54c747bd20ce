namespace TorrentActors.Engine.Metainfo;

/// <summary>A .torrent that decodes as bencode but is not a usable v1 metainfo file.</summary>
public sealed class MetainfoException(string reason) : FormatException(reason)
{
    public string Reason { get; } = reason;
}
