using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;

namespace TorrentActors.Engine.Client;

/// <summary>
/// The BitTorrent engine of one node: one listening socket for all torrents (incoming handshakes are routed
/// by infohash), a global connection limit, the admission of incoming connections (<see cref="IncomingAdmission"/>:
/// a cap per address and one on unfinished handshakes; when the engine is full, the idlest useless peer of any torrent
/// makes room), and one <see cref="TorrentSession"/> per torrent.
/// </summary>
public sealed partial class ClientEngine : ITorrentEngine
{
    private readonly ConcurrentDictionary<InfoHash, TorrentSession> _sessions = new();
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private Socket? _listener;
    private Task? _acceptLoop;
    private readonly IncomingAdmission _admission;
    private int _connections;

    public ClientEngine(EngineSettings? settings = null, ILogger? logger = null)
    {
        Settings = settings ?? new EngineSettings();
        _logger = logger ?? NullLogger.Instance;
        PeerId = new byte[20];
        var prefix = Encoding.ASCII.GetBytes(Settings.PeerIdPrefix);
        prefix.AsSpan(0, Math.Min(prefix.Length, 20)).CopyTo(PeerId);
        RandomNumberGenerator.Fill(PeerId.AsSpan(Math.Min(prefix.Length, 20)));
        ListenEndPoint = new IPEndPoint(Settings.ListenAddress, Settings.ListenPort);
        PieceMemory = new PieceMemory(Settings.MaxBufferedPieceBytes);
        _admission = new IncomingAdmission(Settings.MaxConnectionsPerAddress, Settings.MaxHalfOpenConnections);
    }

    public EngineSettings Settings { get; }

    /// <summary>Our 20-byte peer id (prefix + random).</summary>
    public byte[] PeerId { get; }

    public IPEndPoint ListenEndPoint { get; private set; }

    /// <summary>The port peers and trackers are told about.</summary>
    public int AnnouncedPort => Settings.AnnouncedPort ?? ListenEndPoint.Port;

    public int ConnectionCount => Volatile.Read(ref _connections);

    /// <summary>Incoming connections that have not finished the handshake.</summary>
    public int HalfOpenCount => _admission.HalfOpenCount;

    /// <summary>The budget for unfinished pieces in memory, shared by every session.</summary>
    internal PieceMemory PieceMemory { get; }

    public IReadOnlyCollection<TorrentSession> Sessions => _sessions.Values.ToList();

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_listener is not null)
        {
            return Task.CompletedTask;
        }

        var listener = new Socket(Settings.ListenAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(Settings.ListenAddress, Settings.ListenPort));
        listener.Listen(1024); // a flood of connects should not crowd a new peer out of the kernel's queue
        _listener = listener;
        ListenEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        Log.Listening(_logger, ListenEndPoint.ToString());
        _acceptLoop = Task.Run(() => AcceptLoopAsync(listener, _stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Adds a torrent (not started); the same infohash again returns the existing session.</summary>
    public TorrentSession Add(Torrent torrent, TorrentSessionOptions options) =>
        _sessions.GetOrAdd(torrent.InfoHash, _ => new TorrentSession(this, torrent, options, _logger));

    ITorrentSession ITorrentEngine.Add(Torrent torrent, TorrentSessionOptions options) => Add(torrent, options);

    public bool TryGet(InfoHash infoHash, out ITorrentSession session)
    {
        var found = _sessions.TryGetValue(infoHash, out var value);
        session = value!;
        return found;
    }

    public async Task RemoveAsync(InfoHash infoHash, CancellationToken cancellationToken = default)
    {
        if (_sessions.TryRemove(infoHash, out var session))
        {
            await session.StopAsync(cancellationToken).ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _listener?.Close();
        if (_acceptLoop is not null)
        {
            await _acceptLoop.ConfigureAwait(false);
        }

        foreach (var session in _sessions.Values)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await session.StopAsync(timeout.Token).ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
        }

        _sessions.Clear();
        _stopping.Dispose();
        PieceMemory.Dispose();
    }

    internal bool TryReserveConnection()
    {
        if (Interlocked.Increment(ref _connections) > Settings.MaxConnections)
        {
            Interlocked.Decrement(ref _connections);
            return false;
        }

        return true;
    }

    internal void ReleaseConnection() => Interlocked.Decrement(ref _connections);

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                Log.AcceptFailed(_logger, e.Message);
                continue;
            }

            if (Admit(socket) is { } admitted)
            {
                _ = Task.Run(() => HandleIncomingAsync(admitted.Connection, admitted.Address, admitted.Handshaking), CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Lets an accepted socket in, or closes it before we send anything: past its address's cap, or when the engine
    /// is full and no peer is idle enough to make room. The socket's slot, address count and half-open place are the
    /// caller's from here.
    /// </summary>
    private (PeerConnection Connection, IPAddress Address, LinkedListNode<PeerConnection> Handshaking)? Admit(Socket socket)
    {
        IPEndPoint remote;
        try
        {
            remote = (IPEndPoint)socket.RemoteEndPoint!;
        }
        catch (SocketException e)
        {
            Log.IncomingFailed(_logger, "?", e.Message);
            socket.Dispose();
            return null;
        }

        var address = IncomingAdmission.AddressOf(remote);
        if (!_admission.TryEnter(address))
        {
            Log.Refused(_logger, remote.ToString(), "too many connections from its address");
            socket.Close(0);
            return null;
        }

        if (!TryReserveConnection())
        {
            if (!EvictIdlestPeer())
            {
                _admission.Leave(address);
                Log.Refused(_logger, remote.ToString(), "too many connections");
                socket.Close(0);
                return null;
            }

            Interlocked.Increment(ref _connections); // the evicted peer gives its slot back as it closes
        }

        var connection = new PeerConnection(socket, remote, outgoing: false, Settings.SocketBufferSize);
        return (connection, address, _admission.HandshakeStarted(connection));
    }

    /// <summary>Closes the idlest useless peer over all torrents (see <see cref="EngineSettings.MaxConnections"/>); false when there is none.</summary>
    private bool EvictIdlestPeer()
    {
        var now = Environment.TickCount64;
        PeerConnection? idlest = null;
        var longest = long.MinValue;
        foreach (var session in _sessions.Values)
        {
            if (session.IdlestPeer(now) is ({ } peer, var idle) && idle > longest)
            {
                (idlest, longest) = (peer, idle);
            }
        }

        idlest?.Close("evicted: idle, to make room for a new peer");
        return idlest is not null;
    }

    private async Task HandleIncomingAsync(PeerConnection connection, IPAddress address, LinkedListNode<PeerConnection> handshaking)
    {
        var remote = connection.Remote;
        var handedOver = false;
        try
        {
            Handshake handshake;
            try
            {
                handshake = await connection.ReadHandshakeAsync(Settings.HandshakeTimeout, _stopping.Token).ConfigureAwait(false);
            }
            finally
            {
                _admission.HandshakeEnded(handshaking);
            }

            var run = _sessions.TryGetValue(handshake.InfoHash, out var session) ? session.TryAccept(connection, handshake) : null;
            if (run is null)
            {
                Log.UnknownTorrent(_logger, remote.ToString(), handshake.InfoHash.ToHex());
                return;
            }

            handedOver = true;
            await run.ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerProtocolException or SocketException or IOException or OperationCanceledException)
        {
            Log.IncomingFailed(_logger, remote.ToString(), e.Message);
        }
        finally
        {
            if (!handedOver)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                ReleaseConnection();
            }

            _admission.Leave(address);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(100, LogLevel.Information, "Listening for peers on {EndPoint}")]
        public static partial void Listening(ILogger logger, string endPoint);

        [LoggerMessage(101, LogLevel.Warning, "Accept failed: {Reason}")]
        public static partial void AcceptFailed(ILogger logger, string reason);

        [LoggerMessage(102, LogLevel.Debug, "Incoming {EndPoint} asked for unknown torrent {InfoHash}")]
        public static partial void UnknownTorrent(ILogger logger, string endPoint, string infoHash);

        [LoggerMessage(103, LogLevel.Debug, "Incoming {EndPoint} failed: {Reason}")]
        public static partial void IncomingFailed(ILogger logger, string endPoint, string reason);

        [LoggerMessage(104, LogLevel.Debug, "Incoming {EndPoint} refused: {Reason}")]
        public static partial void Refused(ILogger logger, string endPoint, string reason);
    }
}
