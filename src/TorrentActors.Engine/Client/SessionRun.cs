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
    private readonly PeerConnector _connector;
    private readonly CancellationTokenSource _cancellation = new(); // no timer: nothing to dispose, and its token stays readable after the run
    private readonly Lock _tasksGate = new();
    private readonly HashSet<Task> _tasks = new();
    private TrackerAnnouncer? _announcer;
    private Task? _disposing;
    private bool _begun;
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
        _connector = new PeerConnector(this, session, engine, swarm, peerSet, storage, _protocol);
    }

    public CancellationToken Token => _cancellation.Token;

    public Swarm Swarm => _swarm;

    public TrackerAnnouncer? Announcer => _announcer;

    /// <summary>The run went live (it got past the check).</summary>
    public bool Begun => _begun;

    /// <summary>Running: begun and not ending. Read under the swarm's lock.</summary>
    public bool IsActive => _begun && !_swarm.Closed;

    /// <summary>The run goes live (under the swarm's lock): ticks, and announces to the torrent's trackers if it has any.</summary>
    public void Begin()
    {
        _begun = true;
        _announcer = CreateAnnouncer();
        Track(Task.Run(() => TickLoopAsync(Token), CancellationToken.None));
        _announcer?.Start();
    }

    private TrackerAnnouncer? CreateAnnouncer()
    {
        var torrent = _swarm.Torrent;
        if (torrent.AnnounceTiers.All(t => t.Count == 0))
        {
            return null;
        }

        var announcer = new TrackerAnnouncer(
            torrent.AnnounceTiers,
            e => new AnnounceRequest(torrent.InfoHash, _engine.PeerId, _engine.AnnouncedPort, _session.Uploaded, _session.Downloaded, _session.Left, e),
            logger: _swarm.Logger);
        announcer.PeersDiscovered += _session.AddPeers;

        // A tracker failure (each one is also a warning on the log) shows in the session's status, and so does its end.
        announcer.AnnounceFailed += _ => _session.RaiseIfChanged();
        announcer.Announced += (_, _) => _session.RaiseIfChanged();
        return announcer;
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

    /// <summary>Dials known peers while there is room for more connections.</summary>
    public void DialKnownPeers() => _connector.DialKnownPeers();

    /// <summary>An incoming connection whose handshake named this torrent: answered and run, owning the connection from here.</summary>
    public Task Accept(PeerConnection connection, Handshake handshake) => _connector.Accept(connection, handshake);

    /// <summary>The idlest useless peer and how long it has been idle, or null. Under the swarm's lock.</summary>
    public (PeerConnection Peer, long IdleMs)? IdlestPeer(long nowMs) => _connector.IdlestPeer(nowMs);

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

    /// <summary>
    /// Once a second: rates, peers closed that said nothing useful in time, idle or snub us, keep-alives, requests
    /// topped up, pieces in memory that nobody fills spilled to disk, and the rechoke when due.
    /// </summary>
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
                if (!peer.SentUseful && now - peer.Admitted > _swarm.Settings.FirstMessageTimeout.TotalMilliseconds)
                {
                    toClose.Add((peer, "no useful message after the handshake"));
                }
                else if (now - peer.LastReceived > _swarm.Settings.IdleTimeout.TotalMilliseconds)
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
            _completion.SpillAbandoned(now);
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
        [LoggerMessage(10, LogLevel.Trace, "Torrent {InfoHash}: tick loop stopped")]
        public static partial void TickStopped(ILogger logger, string infoHash);

        [LoggerMessage(12, LogLevel.Warning, "Torrent {InfoHash}: a task of the run failed: {Kind}: {Reason}")]
        public static partial void TaskFailed(ILogger logger, string infoHash, string kind, string reason);

        [LoggerMessage(13, LogLevel.Warning, "Torrent {InfoHash}: {Count} tasks still running when the run ended")]
        public static partial void DrainTimedOut(ILogger logger, string infoHash, int count);
    }
}
