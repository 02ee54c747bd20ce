using System.Net;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Tracker;

/// <summary>
/// A peer that has just announced (HTTP or UDP) and been recorded: the torrent, where the peer takes connections, and
/// whether it said it has everything (<c>left=0</c>). Given to the <c>peerAnnounced</c> callback of
/// <see cref="TrackerServer.StartAsync(TrackerOptions, Microsoft.Extensions.Logging.ILoggerFactory?, Action{AnnouncedPeer}?, CancellationToken)"/>
/// on the thread that served the announce, before the reply goes out; <c>stopped</c> announces are not given.
/// </summary>
public sealed record AnnouncedPeer(InfoHash InfoHash, IPEndPoint EndPoint, bool Seeding);
