using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Storage;

namespace TorrentActors.Engine.Client;

/// <summary>
/// The connections of one run: dialling known peers while there is room, answering incoming ones, letting a peer in
/// (when the torrent is full, in place of the idlest useless peer) or refusing it (closed before we say anything),
/// and running each connection (its reader under the swarm's lock, its writer reading blocks from disk outside it)
/// until it closes. Every task it starts belongs to the run.
/// </summary>
internal sealed partial class PeerConnector(SessionRun run, TorrentSession session, ClientEngine engine, Swarm swarm, PeerSet peerSet, TorrentStorage storage, PeerProtocol protocol)
{
    private readonly SessionRun _run = run;
    private readonly TorrentSession _session = session;
    private readonly ClientEngine _engine = engine;
    private readonly Swarm _swarm = swarm;
    private readonly PeerSet _peerSet = peerSet;
    private readonly TorrentStorage _storage = storage;
    private readonly PeerProtocol _protocol = protocol;
    private int _nextPeerId;

    /// <summary>Dials known peers while there is room for more connections.</summary>
    public void DialKnownPeers()
    {
        List<IPEndPoint> toDial;
        lock (_swarm.Sync)
        {
            if (!_run.IsActive)
            {
                return;
            }

            var room = _swarm.Settings.MaxPeersPerTorrent - _swarm.Peers.Count - _peerSet.ConnectingCount;
            toDial = _peerSet.TakeToDial(Environment.TickCount64, room, _swarm.Settings.RedialInterval, endPoint => IsSelf(endPoint) || IsConnected(endPoint));
        }

        foreach (var endPoint in toDial)
        {
            _run.Track(DialAsync(endPoint));
        }
    }

    private bool IsConnected(IPEndPoint endPoint) =>
        _swarm.Peers.Any(p => p.Remote.Equals(endPoint) || (p.ListenPort == endPoint.Port && p.Remote.Address.Equals(endPoint.Address)));

    private bool IsSelf(IPEndPoint endPoint)
    {
        var listen = _engine.ListenEndPoint;
        return endPoint.Port == listen.Port && (endPoint.Address.Equals(listen.Address) || (IPAddress.IsLoopback(endPoint.Address) && IPAddress.IsLoopback(listen.Address)));
    }

    private async Task DialAsync(IPEndPoint endPoint)
    {
        PeerConnection? connection = null;
        try
        {
            if (!_engine.TryReserveConnection())
            {
                return;
            }

            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_run.Token);
                timeout.CancelAfter(_swarm.Settings.HandshakeTimeout);
                await socket.ConnectAsync(endPoint, timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
                _engine.ReleaseConnection();
                Log.DialFailed(_swarm.Logger, endPoint.ToString(), e.Message);
                return;
            }

            connection = new PeerConnection(socket, endPoint, outgoing: true, _swarm.Settings.SocketBufferSize);
            await connection.SendHandshakeAsync(_session.OurHandshake()).ConfigureAwait(false);
            var handshake = await connection.ReadHandshakeAsync(_swarm.Settings.HandshakeTimeout, _run.Token).ConfigureAwait(false);
            if (handshake.InfoHash != _swarm.Torrent.InfoHash)
            {
                throw new PeerProtocolException("the peer answered with another infohash");
            }

            var run = connection;
            connection = null;
            await RunPeerAsync(run, handshake).ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerProtocolException or SocketException or IOException or OperationCanceledException)
        {
            Log.DialFailed(_swarm.Logger, endPoint.ToString(), e.Message);
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                _engine.ReleaseConnection();
            }
        }
        finally
        {
            lock (_swarm.Sync)
            {
                _peerSet.DialEnded(endPoint);
            }
        }
    }

    /// <summary>An incoming connection whose handshake named this torrent: answered and run, owning the connection from here.</summary>
    public Task Accept(PeerConnection connection, Handshake handshake) => _run.Track(AcceptAsync(connection, handshake));

    /// <summary>A peer we will not take is closed before we answer its handshake: it learns nothing from us.</summary>
    private async Task AcceptAsync(PeerConnection connection, Handshake handshake)
    {
        string? refusal;
        lock (_swarm.Sync)
        {
            refusal = Refusal(connection, handshake);
        }

        if (refusal is null)
        {
            await connection.SendHandshakeAsync(_session.OurHandshake()).ConfigureAwait(false);
        }

        await RunPeerAsync(connection, handshake).ConfigureAwait(false);
    }

    /// <summary>
    /// Why a peer with <paramref name="handshake"/> may not join now, or null. A full torrent makes room by closing its
    /// idlest useless peer; it refuses only when there is none. Under the swarm's lock.
    /// </summary>
    private string? Refusal(PeerConnection connection, Handshake handshake)
    {
        var refusal = !_run.IsActive ? "session not running"
            : handshake.PeerId.AsSpan().SequenceEqual(_engine.PeerId) ? "connected to ourselves"
            : _peerSet.IsBanned(handshake.PeerId, connection.Remote) ? "banned"
            : _swarm.Peers.Any(p => !p.IsClosed && p.PeerId.AsSpan().SequenceEqual(handshake.PeerId)) ? "already connected"
            : null;
        if (refusal is null && _swarm.Peers.Count(p => !p.IsClosed) >= _swarm.Settings.MaxPeersPerTorrent)
        {
            if (IdlestPeer(Environment.TickCount64) is not ({ } idlest, _))
            {
                return "too many peers";
            }

            idlest.Close("evicted: idle, to make room for a new peer");
        }

        return refusal;
    }

    /// <summary>
    /// The least useful peer to keep, and how long it has been idle: of the peers interested neither way (we want
    /// nothing of them, they want nothing of us), the one with no block either way for the longest time. Null when
    /// every peer is of use. Under the swarm's lock.
    /// </summary>
    public (PeerConnection Peer, long IdleMs)? IdlestPeer(long nowMs)
    {
        (PeerConnection Peer, long IdleMs)? idlest = null;
        foreach (var peer in _swarm.Peers)
        {
            if (peer.IsClosed || peer.PeerInterested || peer.AmInterested)
            {
                continue;
            }

            var idle = nowMs - Volatile.Read(ref peer.LastPayload);
            if (idlest is not { } best || idle > best.IdleMs)
            {
                idlest = (peer, idle);
            }
        }

        return idlest;
    }

    /// <summary>Runs an established connection until it closes; owns it (and its engine slot) from here.</summary>
    private async Task RunPeerAsync(PeerConnection connection, Handshake handshake)
    {
        lock (_swarm.Sync)
        {
            var refuse = Refusal(connection, handshake);
            if (refuse is not null)
            {
                connection.Close(refuse);
            }
            else
            {
                connection.Id = ++_nextPeerId;
                connection.Admitted = Environment.TickCount64;
                connection.MaxQueued = _swarm.Torrent.PieceCount + (4 * _swarm.Settings.MaxIncomingRequests) + 1024;
                connection.PeerId = handshake.PeerId;
                connection.SupportsExtensions = handshake.SupportsExtensions;
                connection.SupportsFast = handshake.SupportsFast;
                _swarm.Peers.Add(connection);
                _protocol.Open(connection);
            }
        }

        try
        {
            if (!connection.IsClosed)
            {
                Log.PeerConnected(_swarm.Logger, _swarm.InfoHashHex, connection.Remote.ToString(), connection.Outgoing);
                var writer = connection.RunWriterAsync(ReadBlock, static peer => !peer.AmChoking);
                var reader = ReadLoopAsync(connection);
                var first = await Task.WhenAny(writer, reader).ConfigureAwait(false);
                connection.Close(first.Exception?.GetBaseException().Message ?? "closed");
                await Task.WhenAll(ObserveAsync(writer), ObserveAsync(reader)).ConfigureAwait(false);
            }
        }
        finally
        {
            lock (_swarm.Sync)
            {
                if (_swarm.Peers.Remove(connection))
                {
                    _swarm.Totals.UploadedByClosed += Interlocked.Read(ref connection.Uploaded);
                    _protocol.Closed(connection);
                }
            }

            Log.PeerClosed(_swarm.Logger, _swarm.InfoHashHex, connection.Remote.ToString(), connection.CloseReason ?? "closed");
            await connection.DisposeAsync().ConfigureAwait(false);
            _engine.ReleaseConnection();
            _session.RaiseIfChanged();
        }
    }

    private async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerProtocolException or IOException or SocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            Log.PeerError(_swarm.Logger, _swarm.InfoHashHex, e.GetType().Name, e.Message);
        }
    }

    private async Task ReadLoopAsync(PeerConnection connection)
    {
        var reader = connection.Reader;
        var bitfieldLength = BitField.ByteLength(_swarm.Torrent.PieceCount);
        while (true)
        {
            var result = await reader.ReadAsync(connection.Closed).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = false;
            lock (_swarm.Sync)
            {
                while (PeerMessageReader.TryRead(ref buffer, bitfieldLength, out var message))
                {
                    _protocol.Handle(connection, message);
                    consumed = true;
                }
            }

            if (consumed)
            {
                connection.LastReceived = Environment.TickCount64;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>Reads a block for a connection's writer (outside the lock); a read error fails the session.</summary>
    private bool ReadBlock(int piece, int begin, Span<byte> destination)
    {
        try
        {
            _storage.Read((piece * _swarm.Torrent.PieceLength) + begin, destination);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _run.Fail($"reading piece {piece} failed: {e.Message}");
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(4, LogLevel.Debug, "Dial {EndPoint} failed: {Reason}")]
        public static partial void DialFailed(ILogger logger, string endPoint, string reason);

        [LoggerMessage(5, LogLevel.Debug, "Torrent {InfoHash}: peer {EndPoint} connected (outgoing {Outgoing})")]
        public static partial void PeerConnected(ILogger logger, string infoHash, string endPoint, bool outgoing);

        [LoggerMessage(6, LogLevel.Debug, "Torrent {InfoHash}: peer {EndPoint} closed: {Reason}")]
        public static partial void PeerClosed(ILogger logger, string infoHash, string endPoint, string reason);

        [LoggerMessage(7, LogLevel.Debug, "Torrent {InfoHash}: peer error {Kind}: {Reason}")]
        public static partial void PeerError(ILogger logger, string infoHash, string kind, string reason);
    }
}
