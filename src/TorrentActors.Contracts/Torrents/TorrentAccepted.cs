using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Contracts.Torrents;

/// <summary>
/// Published on the event stream by the patrons when a torrent gets its ID, with the command that brought it,
/// so the remote gateway can answer that command's sender.
/// </summary>
public sealed record TorrentAccepted(TorrentId Id, string Command, string Name, InfoHash InfoHash) : TorrentEvents.ITorrentEvent;
