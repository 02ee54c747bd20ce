using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Storage;
using TorrentActors.Engine.Trackers;

namespace TorrentActors.Engine.Client;

/// <summary>
/// One run of a session, from a start (or resume) to the stop, pause or failure that ends it: its cancellation
/// token, its swarm and the parts working on it, its tick loop, its announcer, and every task it starts (dials,
/// connections, piece writes, the check). <see cref="DisposeAsync"/> ends all of them and waits for them, so
/// nothing of a run outlives it; a session makes a new run for each start.
/// </summary>
internal sealed partial class SessionRun : IAsyncDisposable
{
    /// <summary>How long the end of a run waits for its tasks; they all end on cancellation well before.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);

    private readonly TorrentSession _session;
    private readonly ClientEngine _engine;
    private readonly Swarm _swarm;
    private readonly PeerSet _peerSet;
    private readonly TorrentStorage _storage;
    private readonly RequestScheduler _scheduler;
    private readonly UploadChoking _choking;
    private readonly PieceCompletion _completion;
    private readonly PeerProtocol _protocol;
    private readonly CancellationTokenSource _cancellation = new(); // no timer: nothing to dispose, and its token stays readable after the run
    private readonly Lock _tasksGate = new();
    private readonly HashSet<Task> _tasks = new();
    private TrackerAnnouncer? _announcer;
    private Task? _disposing;
    private bool _begun;
    private int _nextPeerId;
    private long _lastChoke;

    public SessionRun(TorrentSession session, ClientEngine engine, Swarm swarm, PeerSet peerSet, TorrentStorage storage)
    {
        _session = session;
        _engine = engine;
        _swarm = swarm;
        _peerSet = peerSet;
        _storage = storage;
        _scheduler = new RequestScheduler(swarm);
        _choking = new UploadChoking(swarm);
        _completion = new PieceCompletion(swarm, _scheduler, peerSet, storage, engine.PieceMemory, this);
        _protocol = new PeerProtocol(swarm, _scheduler, _choking, _completion, engine.AnnouncedPort);
    }

    public CancellationToken Token => _cancellation.Token;

    public Swarm Swarm => _swarm;

    public TrackerAnnouncer? Announcer => _announcer;

    /// <summary>The run went live (it got past the check).</summary>
    public bool Begun => _begun;

    /// <summary>Running: begun and not ending. Read under the swarm's lock.</summary>
    public bool IsActive => _begun && !_swarm.Closed;

    /// <summary>The run goes live (under the swarm's lock): ticks, announces and dials.</summary>
    public void Begin(TrackerAnnouncer? announcer)
    {
        _begun = true;
        _announcer = announcer;
        Track(Task.Run(() => TickLoopAsync(Token), CancellationToken.None));
        announcer?.Start();
    }

    /// <summary>Keeps <paramref name="task"/> in the run until it ends; the run's end waits for it.</summary>
    public T Track<T>(T task)
        where T : Task
    {
        lock (_tasksGate)
        {
            _tasks.Add(task);
        }

        task.ContinueWith(static (done, state) => ((SessionRun)state!).Untrack(done), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private void Untrack(Task task)
    {
        lock (_tasksGate)
        {
            _tasks.Remove(task);
        }

        if (task.Exception?.GetBaseException() is { } error and not OperationCanceledException)
        {
            Log.TaskFailed(_swarm.Logger, _swarm.InfoHashHex, error.GetType().Name, error.Message);
        }
    }

    public void Fail(string reason) => _session.Fail(this, reason);

    public void Completed() => _session.RunCompleted(this);

    public void Progressed() => _session.RaiseIfChanged();

    // ---------------------------------------------------------------- connections

    /// <summary>Dials known peers while there is room for more connections.</summary>
    public void DialKnownPeers()
    {
        List<IPEndPoint> toDial;
        lock (_swarm.Sync)
        {
            if (!IsActive)
            {
                return;
            }

            var room = _swarm.Settings.MaxPeersPerTorrent - _swarm.Peers.Count - _peerSet.ConnectingCount;
            toDial = _peerSet.TakeToDial(Environment.TickCount64, room, _swarm.Settings.RedialInterval, endPoint => IsSelf(endPoint) || IsConnected(endPoint));
        }

        foreach (var endPoint in toDial)
        {
            Track(DialAsync(endPoint));
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
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
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
            var handshake = await connection.ReadHandshakeAsync(_swarm.Settings.HandshakeTimeout, Token).ConfigureAwait(false);
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
    public Task Accept(PeerConnection connection, Handshake handshake) => Track(AcceptAsync(connection, handshake));

    /// <summary>A peer we will not take is closed before we answer its handshake: it learns nothing from us.</summary>
    private async Task AcceptAsync(PeerConnection connection, Handshake handshake)
    {
        string? refusal;
        lock (_swarm.Sync)
        {
            refusal = Refusal(handshake);
        }

        if (refusal is null)
        {
            await connection.SendHandshakeAsync(_session.OurHandshake()).ConfigureAwait(false);
        }

        await RunPeerAsync(connection, handshake).ConfigureAwait(false);
    }

    /// <summary>Why a peer with <paramref name="handshake"/> may not join now, or null. Under the swarm's lock.</summary>
    private string? Refusal(Handshake handshake) =>
        !IsActive ? "session not running"
        : handshake.PeerId.AsSpan().SequenceEqual(_engine.PeerId) ? "connected to ourselves"
        : _peerSet.IsBanned(handshake.PeerId) ? "banned"
        : _swarm.Peers.Any(p => p.PeerId.AsSpan().SequenceEqual(handshake.PeerId)) ? "already connected"
        : _swarm.Peers.Count >= _swarm.Settings.MaxPeersPerTorrent ? "too many peers"
        : null;

    /// <summary>Runs an established connection until it closes; owns it (and its engine slot) from here.</summary>
    private async Task RunPeerAsync(PeerConnection connection, Handshake handshake)
    {
        lock (_swarm.Sync)
        {
            var refuse = Refusal(handshake);
            if (refuse is not null)
            {
                connection.Close(refuse);
            }
            else
            {
                connection.Id = ++_nextPeerId;
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
            Fail($"reading piece {piece} failed: {e.Message}");
            return false;
        }
    }

    // ---------------------------------------------------------------- timers

    private async Task TickLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var last = Environment.TickCount64;
        _session.CountTickLoop(+1);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                Tick(now, Math.Max(1, now - last));
                last = now;
                DialKnownPeers();
            }
        }
        catch (OperationCanceledException)
        {
            Log.TickStopped(_swarm.Logger, _swarm.InfoHashHex);
        }
        finally
        {
            _session.CountTickLoop(-1);
        }
    }

    /// <summary>Once a second: rates, idle and snubbing peers closed, keep-alives, requests topped up, and the rechoke when due.</summary>
    private void Tick(long now, long elapsedMs)
    {
        var toClose = new List<(PeerConnection Peer, string Reason)>();
        lock (_swarm.Sync)
        {
            if (!IsActive)
            {
                return;
            }

            long down = 0, up = 0;
            foreach (var peer in _swarm.Peers)
            {
                peer.DownloadMeter.Sample(peer.Downloaded, elapsedMs);
                peer.UploadMeter.Sample(Interlocked.Read(ref peer.Uploaded), elapsedMs);
                down += peer.DownloadRate;
                up += peer.UploadRate;
                if (now - peer.LastReceived > _swarm.Settings.IdleTimeout.TotalMilliseconds)
                {
                    toClose.Add((peer, "idle"));
                }
                else if (_swarm.Picker.RequestCount(peer.Id) > 0 && now - peer.LastBlock > _swarm.Settings.SnubTimeout.TotalMilliseconds)
                {
                    toClose.Add((peer, "snubbed us"));
                }
                else if (now - peer.LastSent > _swarm.Settings.KeepAliveInterval.TotalMilliseconds)
                {
                    peer.Send(new Outgoing(PeerMessageKind.KeepAlive));
                    peer.LastSent = now;
                }
            }

            _swarm.DownloadRate = down;
            _swarm.UploadRate = up;
            _scheduler.FillAll();
            if (now - _lastChoke >= _swarm.Settings.ChokeInterval.TotalMilliseconds)
            {
                _lastChoke = now;
                _choking.Rechoke();
            }
        }

        foreach (var (peer, reason) in toClose)
        {
            peer.Close(reason);
        }
    }

    // ---------------------------------------------------------------- the end

    /// <summary>
    /// Ends the run (the same task for every caller): no peer is let in or asked for more, the token is cancelled,
    /// every connection is closed, every task of the run is waited for (so piece writes in flight reach the disk),
    /// the announcer says 'stopped', and the buffers of unfinished pieces go back to the pool.
    /// </summary>
    public Task DisposeAsync(string reason)
    {
        lock (_swarm.Sync)
        {
            return _disposing ??= EndAsync(reason);
        }
    }

    ValueTask IAsyncDisposable.DisposeAsync() => new(DisposeAsync("stopped"));

    private async Task EndAsync(string reason)
    {
        await Task.Yield(); // leave the caller's lock: cancellation runs continuations inline
        List<PeerConnection> peers;
        lock (_swarm.Sync)
        {
            _swarm.Closed = true;
            peers = _swarm.Peers.ToList();
        }

        await _cancellation.CancelAsync().ConfigureAwait(false);
        foreach (var peer in peers)
        {
            peer.Close(reason);
        }

        await DrainAsync().ConfigureAwait(false);
        if (_announcer is { } announcer)
        {
            announcer.PeersDiscovered -= _session.AddPeers;
            await announcer.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        lock (_swarm.Sync)
        {
            _completion.Discard();
        }

        _session.CountRun(-1);
    }

    /// <summary>Waits until every tracked task has ended (tasks started meanwhile included), at most <see cref="DrainTimeout"/>.</summary>
    private async Task DrainAsync()
    {
        var deadline = Environment.TickCount64 + (long)DrainTimeout.TotalMilliseconds;
        while (true)
        {
            Task[] pending;
            lock (_tasksGate)
            {
                pending = _tasks.ToArray();
            }

            var left = deadline - Environment.TickCount64;
            if (pending.Length == 0)
            {
                return;
            }

            if (left <= 0)
            {
                Log.DrainTimedOut(_swarm.Logger, _swarm.InfoHashHex, pending.Length);
                return;
            }

            await Task.WhenAny(Task.WhenAll(pending), Task.Delay(TimeSpan.FromMilliseconds(left))).ConfigureAwait(false);
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

        [LoggerMessage(10, LogLevel.Trace, "Torrent {InfoHash}: tick loop stopped")]
        public static partial void TickStopped(ILogger logger, string infoHash);

        [LoggerMessage(12, LogLevel.Warning, "Torrent {InfoHash}: a task of the run failed: {Kind}: {Reason}")]
        public static partial void TaskFailed(ILogger logger, string infoHash, string kind, string reason);

        [LoggerMessage(13, LogLevel.Warning, "Torrent {InfoHash}: {Count} tasks still running when the run ended")]
        public static partial void DrainTimedOut(ILogger logger, string infoHash, int count);
    }
}
