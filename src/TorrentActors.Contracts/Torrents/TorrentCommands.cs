using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Contracts.Torrents;

/// <summary>Commands that move a torrent through the pipeline: maker/fetchers → writer → patrons.</summary>
public static class TorrentCommands
{
    public interface ITorrentCommand
    {
        string Command { get; }

        /// <summary>The request the torrent came from; its outcome (accepted, or an error) carries it back.</summary>
        RequestId Request { get; }
    }

    /// <summary>Write <c>TORRENTDIR/NAME.torrent</c>, then hand the torrent to the patrons.</summary>
    public sealed record PublishTorrent(string Command, Torrent Torrent, string DataDirectory, RequestId Request) : ITorrentCommand;

    /// <summary>
    /// Download or seed <paramref name="Torrent"/> with its files under <paramref name="DataDirectory"/>;
    /// <paramref name="DataVerified"/> when the maker hashed the data just now; <paramref name="SeededInPlace"/> when the
    /// data is the user's own file or folder (<c>file:</c>), not a download. In a cluster the catalog gives the ID
    /// (<paramref name="AssignedId"/>, the same on every member), and <paramref name="ClusterCopy"/> marks a download made
    /// for the cluster, which the node deletes when it no longer holds the torrent.
    /// </summary>
    public sealed record OpenTorrent(
        string Command,
        Torrent Torrent,
        string DataDirectory,
        bool DataVerified,
        RequestId Request,
        bool SeededInPlace = false,
        TorrentId? AssignedId = null,
        bool ClusterCopy = false) : ITorrentCommand;
}
