using Microsoft.Extensions.Logging;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Picking;

namespace TorrentActors.Engine.Client;

/// <summary>
/// What the parts of one session run share: the connected peers, the piece picker and the session's lock that
/// guards both (and every connection's protocol state). Every member of the swarm and of the parts that work on it
/// (<see cref="RequestScheduler"/>, <see cref="UploadChoking"/>, <see cref="PieceCompletion"/>,
/// <see cref="PeerProtocol"/>) is called with <see cref="Sync"/> held; none of them blocks, awaits or raises an
/// event while it is held.
/// </summary>
internal sealed class Swarm(Torrent torrent, EngineSettings settings, object sync, PiecePicker picker, SessionTotals totals, ILogger logger)
{
    public Torrent Torrent { get; } = torrent;

    public EngineSettings Settings { get; } = settings;

    public object Sync { get; } = sync;

    public PiecePicker Picker { get; } = picker;

    public SessionTotals Totals { get; } = totals;

    public ILogger Logger { get; } = logger;

    public string InfoHashHex { get; } = torrent.InfoHash.ToHex();

    public List<PeerConnection> Peers { get; } = new();

    /// <summary>Set when the run ends: nothing more is requested or unchoked, and no peer is let in.</summary>
    public bool Closed { get; set; }

    /// <summary>Smoothed sums over the peers, updated by the tick.</summary>
    public long DownloadRate { get; set; }

    public long UploadRate { get; set; }

    public PeerConnection? Find(int id) => Peers.Find(p => p.Id == id);

    /// <summary>Payload bytes sent by the peers connected now.</summary>
    public long UploadedByConnected()
    {
        long sum = 0;
        foreach (var peer in Peers)
        {
            sum += Interlocked.Read(ref peer.Uploaded);
        }

        return sum;
    }
}

/// <summary>Byte counters of a session over all its runs; guarded by the session's lock, read with <see cref="Interlocked"/>.</summary>
internal sealed class SessionTotals
{
    /// <summary>Payload bytes of every accepted block, whether its piece then passed its hash check or not.</summary>
    public long Downloaded;

    /// <summary>Payload bytes sent to peers that have since disconnected.</summary>
    public long UploadedByClosed;
}
