using System.Net;

namespace TorrentActors.Engine.Client;

/// <summary>Settings of one <see cref="ClientEngine"/>; defaults are safe for tests (loopback, any port).</summary>
public sealed record EngineSettings
{
    /// <summary>
    /// Address the listening socket binds to. Outgoing connections are not bound to it: the system chooses their
    /// source address by its routes, so a node listening on loopback can still dial peers elsewhere.
    /// </summary>
    public IPAddress ListenAddress { get; init; } = IPAddress.Loopback;

    /// <summary>0 = let the system choose; see <see cref="ITorrentEngine.ListenEndPoint"/>.</summary>
    public int ListenPort { get; init; }

    /// <summary>Port announced to trackers and peers when it differs from the bound one (port forwarding); null = bound port.</summary>
    public int? AnnouncedPort { get; init; }

    /// <summary>
    /// Most connections of the engine, both ways and over all torrents. When it is full, an incoming peer takes the
    /// place of the idlest peer that is useless now (no data either way for the longest time, and interested neither
    /// way); only when there is none is it refused.
    /// </summary>
    public int MaxConnections { get; init; } = 200;

    /// <summary>
    /// Most incoming connections from one address, handshaking or connected, over all torrents; one more is closed
    /// before we send anything. Loopback is no exception (127.0.0.1 is one address), so tests and benchmarks that
    /// run many peers on one machine raise it.
    /// </summary>
    public int MaxConnectionsPerAddress { get; init; } = 8;

    /// <summary>
    /// Most incoming connections that have not finished the handshake, engine-wide; one more closes the oldest of
    /// them (it had the most time to say which torrent it wants).
    /// </summary>
    public int MaxHalfOpenConnections { get; init; } = 32;

    /// <summary>
    /// Most bytes of unfinished pieces kept in memory across all torrents; the blocks of pieces beyond it go to disk as
    /// they arrive, and such a piece is read back to be hashed when its last block lands.
    /// </summary>
    public long MaxBufferedPieceBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// A piece in memory that has had no block for this long goes to disk: the blocks it has are written at their
    /// offsets, its buffer is given back, and it completes from disk later. (One that no peer is asked for, because its
    /// peers left or choked us, goes at once.)
    /// </summary>
    public TimeSpan PartialPieceIdleTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Most connected peers of one torrent; when full, a new peer takes the place of the idlest useless one (see <see cref="MaxConnections"/>).</summary>
    public int MaxPeersPerTorrent { get; init; } = 50;

    /// <summary>Regular unchoke slots per torrent; one optimistic slot comes on top.</summary>
    public int UnchokeSlots { get; init; } = 4;

    /// <summary>Threads that hash existing data at start.</summary>
    public int HashingParallelism { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>SO_RCVBUF/SO_SNDBUF for peer sockets; 0 leaves them to kernel autotuning (grows to tcp_rmem/tcp_wmem max, fastest on loopback).</summary>
    public int SocketBufferSize { get; init; }

    /// <summary>Pending requests a peer may have with us (advertised as <c>reqq</c>); more are rejected.</summary>
    public int MaxIncomingRequests { get; init; } = 500;

    /// <summary>Most requests we keep outstanding with one peer (the queue grows with its rate up to this).</summary>
    public int MaxOutstandingRequests { get; init; } = 500;

    /// <summary>Pieces with bad data a peer may be the only source of before it is banned.</summary>
    public int BanAfterHashFailures { get; init; } = 3;

    /// <summary>Time a connection has to complete the handshake (dials: to connect, then to answer).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Time a peer has after the handshake to send its first useful message (a bitfield, have, have all/none,
    /// interested, unchoke, request, ...; keep-alives and the extension handshake do not count) before it is closed.
    /// </summary>
    public TimeSpan FirstMessageTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>A peer with requests outstanding that sends no block for this long is dropped.</summary>
    public TimeSpan SnubTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan ChokeInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Wait before dialing a known peer again after a failed or closed connection.</summary>
    public TimeSpan RedialInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Sent as <c>v</c> in the extension handshake.</summary>
    public string ClientName { get; init; } = "TorrentActors 0.1";

    /// <summary>Peer id prefix (Azureus style); 12 random bytes follow.</summary>
    public string PeerIdPrefix { get; init; } = "-TA0001-";
}
