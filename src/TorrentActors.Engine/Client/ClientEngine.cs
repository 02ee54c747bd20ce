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
/// by infohash), a global connection limit, and one <see cref="TorrentSession"/> per torrent.
/// </summary>
public sealed partial class ClientEngine : ITorrentEngine
{
    private readonly ConcurrentDictionary<InfoHash, TorrentSession> _sessions = new();
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;
    private Socket? _listener;
    private Task? _acceptLoop;
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
    }

    public EngineSettings Settings { get; }

    /// <summary>Our 20-byte peer id (prefix + random).</summary>
    public byte[] PeerId { get; }

    public IPEndPoint ListenEndPoint { get; private set; }

    /// <summary>The port peers and trackers are told about.</summary>
    public int AnnouncedPort => Settings.AnnouncedPort ?? ListenEndPoint.Port;

    public int ConnectionCount => Volatile.Read(ref _connections);

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
        listener.Listen(128);
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

            if (!TryReserveConnection())
            {
                socket.Dispose();
                continue;
            }

            _ = Task.Run(() => HandleIncomingAsync(socket), CancellationToken.None);
        }
    }

    private async Task HandleIncomingAsync(Socket socket)
    {
        var remote = (IPEndPoint)socket.RemoteEndPoint!;
        var connection = new PeerConnection(socket, remote, outgoing: false, Settings.SocketBufferSize);
        var handedOver = false;
        try
        {
            var handshake = await connection.ReadHandshakeAsync(Settings.HandshakeTimeout, _stopping.Token).ConfigureAwait(false);
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
    }
}
