using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Contracts.Torrents;

/// <summary>What the patrons tell the monitor.</summary>
public static class TorrentEvents
{
    public interface ITorrentEvent
    {
        TorrentId Id { get; }
    }

    /// <summary>The engine's view of a torrent changed (or was first seen).</summary>
    public sealed record StatusReported(TorrentId Id, string Name, InfoHash InfoHash, TorrentStatus Status) : ITorrentEvent;

    /// <summary>
    /// Published on the event stream by the patrons when a stop, start or remove reached the patron of a torrent they
    /// know, so the remote gateway can tell that request's sender it was accepted.
    /// </summary>
    public sealed record CommandRouted(TorrentId Id, string Command, RequestId Request) : ITorrentEvent;

    /// <summary>The torrent was removed (or failed for good): the monitor forgets it.</summary>
    public sealed record TorrentForgotten(TorrentId Id) : ITorrentEvent;
}
