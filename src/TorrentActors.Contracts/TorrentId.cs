namespace TorrentActors.Contracts;

/// <summary>A torrent's number on this node: 1, 2, 3... in order of arrival.</summary>
public readonly record struct TorrentId(int Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
