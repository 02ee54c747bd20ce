using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Contracts.Torrents;

/// <summary>
/// Published on the event stream by the patrons when a torrent gets its ID, with the command and request that brought
/// it, so the remote gateway can answer that request's sender.
/// </summary>
public sealed record TorrentAccepted(TorrentId Id, string Command, string Name, InfoHash InfoHash, RequestId Request) : TorrentEvents.ITorrentEvent;
