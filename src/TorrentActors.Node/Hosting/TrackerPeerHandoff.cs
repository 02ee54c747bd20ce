using System.Net;
using TorrentActors.Engine.Client;
using TorrentActors.Tracker;

namespace TorrentActors.Node.Hosting;

/// <summary>
/// Hands a peer that announces to the embedded tracker straight to this node's session of that torrent, which dials it
/// at once (within its connection caps, as it dials any peer it learns of): without it the node would learn of a new
/// leecher only at its own next announce, minutes later, and a leecher that does not dial out (Transmission on
/// loopback) would wait that long. Bounded: one peer of one torrent is handed over at most once per
/// <see cref="Again"/>; nothing is handed for a torrent the node does not hold or that is not running (stopped, paused,
/// failed), to a seeding session when the peer seeds too, or when the peer is the node itself.
/// </summary>
internal sealed class TrackerPeerHandoff(ITorrentEngine engine, int? announcedPort, TimeProvider clock)
{
    /// <summary>How long before the same peer of the same torrent is handed over again (its announces come every few minutes).</summary>
    public static readonly TimeSpan Again = TimeSpan.FromSeconds(60);

    /// <summary>Peers remembered for <see cref="Again"/>; past it the stale ones are dropped, then all if none were stale.</summary>
    public const int MaxRemembered = 10_000;

    private readonly Dictionary<(Engine.Metainfo.InfoHash, IPEndPoint), long> _handed = [];
    private readonly Lock _sync = new();

    /// <summary>Peers handed over within the last <see cref="Again"/> (or not yet forgotten).</summary>
    internal int Remembered
    {
        get
        {
            lock (_sync)
            {
                return _handed.Count;
            }
        }
    }

    /// <summary>The tracker's callback: hands <paramref name="peer"/> over unless one of the bounds says no.</summary>
    public void OnAnnounced(AnnouncedPeer peer) => TryHand(peer);

    /// <summary>Whether <paramref name="peer"/> was handed to its session now.</summary>
    public bool TryHand(AnnouncedPeer peer)
    {
        if (IsSelf(peer.EndPoint) || !engine.TryGet(peer.InfoHash, out var session))
        {
            return false;
        }

        var state = session.Status.State;
        if (state is not (TorrentState.Checking or TorrentState.Downloading or TorrentState.Seeding) || (peer.Seeding && state == TorrentState.Seeding))
        {
            return false;
        }

        var now = clock.GetTimestamp();
        lock (_sync)
        {
            var key = (peer.InfoHash, peer.EndPoint);
            if (_handed.TryGetValue(key, out var last) && clock.GetElapsedTime(last, now) < Again)
            {
                return false;
            }

            if (_handed.Count >= MaxRemembered)
            {
                Forget(now);
            }

            _handed[key] = now;
        }

        session.AddPeers([peer.EndPoint]);
        return true;
    }

    /// <summary>Drops the peers handed over longer than <see cref="Again"/> ago; all of them when that frees nothing.</summary>
    private void Forget(long now)
    {
        foreach (var (key, at) in _handed.ToList())
        {
            if (clock.GetElapsedTime(at, now) >= Again)
            {
                _handed.Remove(key);
            }
        }

        if (_handed.Count >= MaxRemembered)
        {
            _handed.Clear();
        }
    }

    /// <summary>
    /// The node's own sessions announce to its tracker too: the engine's port (or the port it announces) on the engine's
    /// address or a loopback one.
    /// </summary>
    private bool IsSelf(IPEndPoint endPoint)
    {
        var listen = engine.ListenEndPoint;
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        return (endPoint.Port == listen.Port || endPoint.Port == announcedPort) && (address.Equals(listen.Address) || IPAddress.IsLoopback(address));
    }
}
