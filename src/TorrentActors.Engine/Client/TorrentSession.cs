using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Picking;
using TorrentActors.Engine.Storage;

namespace TorrentActors.Engine.Client;

/// <summary>
/// One torrent in a <see cref="ClientEngine"/>: the public face (start, stop, pause, resume, status and its change
/// events) and the torrent's life across runs. The work is split by responsibility:
/// <list type="bullet">
/// <item><see cref="SessionRun"/>: one per start or resume, with its token, tick loop, announcer, connections and
/// tasks; a stop, a pause or a failure ends the run as a whole, so nothing of it outlives that.</item>
/// <item><see cref="PeerSet"/>: the known, dialling and banned peers, kept across runs.</item>
/// <item><see cref="PeerProtocol"/>, <see cref="RequestScheduler"/>, <see cref="PieceCompletion"/> and
/// <see cref="UploadChoking"/>: what a run does with each message, request, block and upload slot.</item>
/// <item><see cref="TorrentStorage"/>: the files, checked at each start unless the data is known to be verified.</item>
/// </list>
/// Concurrency: state changes of the life cycle (start, stop, pause, resume) take turns through one asynchronous gate,
/// and the check runs outside it so that a stop can cut it short. One lock, <c>_sync</c>, guards the state, the
/// peer set, the picker and the run's swarm; whatever runs under it never blocks or awaits, and status events are
/// raised after it is released. Hashing, disk writes and uploads run outside the lock.
/// </summary>
public sealed partial class TorrentSession : ITorrentSession
{
    private readonly ClientEngine _engine;
    private readonly EngineSettings _settings;
    private readonly ILogger _logger;
    private readonly object _sync = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly PeerSet _peerSet = new();
    private readonly SessionTotals _totals = new();
    private readonly TorrentStorage _storage;
    private PiecePicker _picker;
    private TorrentState _state = TorrentState.Stopped;
    private string? _error;
    private SessionRun? _run;
    private Task? _failedRunEnding;
    private ResumeData? _resume;
    private TorrentStatus? _lastRaised;
    private int _liveRuns;
    private int _liveTickLoops;

    internal TorrentSession(ClientEngine engine, Torrent torrent, TorrentSessionOptions options, ILogger? logger)
    {
        _engine = engine;
        _settings = engine.Settings;
        _logger = logger ?? NullLogger.Instance;
        Torrent = torrent;
        Options = options;
        _storage = new TorrentStorage(torrent, options.DownloadDirectory);
        _picker = NewPicker();
        _resume = options.Resume;
    }

    public Torrent Torrent { get; }

    public TorrentSessionOptions Options { get; }

    public InfoHash InfoHash => Torrent.InfoHash;

    public event EventHandler<TorrentStatus>? StatusChanged;

    /// <summary>Payload bytes received in pieces that passed their hash check or not (all accepted blocks).</summary>
    public long Downloaded => Interlocked.Read(ref _totals.Downloaded);

    /// <summary>Payload bytes sent to peers.</summary>
    public long Uploaded
    {
        get { lock (_sync) { return _totals.UploadedByClosed + (_run?.Swarm.UploadedByConnected() ?? 0); } }
    }

    /// <summary>Peers banned for sending data that failed its hash.</summary>
    public int BannedPeerCount
    {
        get { lock (_sync) { return _peerSet.BannedCount; } }
    }

    /// <summary>Bytes still missing (for the tracker's <c>left</c>).</summary>
    public long Left => Torrent.TotalLength - Status.BytesVerified;

    public TorrentStatus Status
    {
        get { lock (_sync) { return StatusLocked(); } }
    }

    /// <summary>The peer ids of the peers connected now, as ASCII (for tests: which clients got in).</summary>
    internal IReadOnlyList<string> ConnectedPeerIds()
    {
        lock (_sync)
        {
            return _run?.Swarm.Peers.Select(p => System.Text.Encoding.ASCII.GetString(p.PeerId)).ToList() ?? [];
        }
    }

    /// <summary>Runs made and not yet ended (for tests: at most one, plus a failed one while it ends).</summary>
    internal int LiveRuns => Volatile.Read(ref _liveRuns);

    /// <summary>Tick loops running (for tests: one while running, none otherwise).</summary>
    internal int LiveTickLoops => Volatile.Read(ref _liveTickLoops);

    internal void CountRun(int change) => Interlocked.Add(ref _liveRuns, change);

    internal void CountTickLoop(int change) => Interlocked.Add(ref _liveTickLoops, change);

    /// <summary>Why the last tracker announce of this run failed (null after a success, without trackers, or when not running).</summary>
    public string? TrackerError
    {
        get { lock (_sync) { return _run?.Announcer?.LastError; } }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        SessionRun run;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_sync)
            {
                if (_state is not (TorrentState.Stopped or TorrentState.Error))
                {
                    return;
                }
            }

            await EndFailedRunAsync().ConfigureAwait(false);
            lock (_sync)
            {
                _error = null;
                _state = TorrentState.Checking;
                _run = run = NewRun(NewPicker());
            }
        }
        finally
        {
            _gate.Release();
        }

        RaiseIfChanged();
        BitField have;
        var hashed = 0;
        try
        {
            var resume = Volatile.Read(ref _resume);
            have = Options.DataVerified && resume is null
                ? AllPieces()
                : await run.Track(Task.Run(() => _storage.Check(resume, _settings.HashingParallelism, run.Token, out hashed), CancellationToken.None)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.Token.IsCancellationRequested)
        {
            return; // stopped during the check: the stop has set the state
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail(run, $"checking the data failed: {e.Message}");
            return;
        }

        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            lock (_sync)
            {
                if (_run != run)
                {
                    return; // a stop ended this run while it checked
                }

                GoLive(run, have);
            }

            if (run.Swarm.Picker.IsComplete)
            {
                _storage.CreateEmptyFiles();
            }

            Log.Started(_logger, InfoHash.ToHex(), have.TrueCount, Torrent.PieceCount, hashed);
        }
        finally
        {
            _gate.Release();
        }

        RaiseIfChanged();
        run.DialKnownPeers();
    }

    /// <summary>
    /// Ends the run (connections closed, writes flushed, 'stopped' announced) and closes the files. The next start
    /// trusts what this run verified in files that have not changed since, and checks the rest.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default) => EndRunAsync(TorrentState.Stopped);

    /// <summary>Ends the run like a stop; <see cref="ResumeAsync"/> goes on from the pieces verified so far without a check.</summary>
    public Task PauseAsync(CancellationToken cancellationToken = default) => EndRunAsync(TorrentState.Paused);

    public async Task ResumeAsync(CancellationToken cancellationToken = default)
    {
        SessionRun run;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_sync)
            {
                if (_state != TorrentState.Paused)
                {
                    return;
                }

                _run = run = NewRun(NewPicker());
                _peerSet.ClearRedialWaits();
                GoLive(run, _picker.Have);
            }
        }
        finally
        {
            _gate.Release();
        }

        RaiseIfChanged();
        run.DialKnownPeers();
    }

    /// <summary>Remembers <paramref name="endPoint"/> and dials it now if the session is running (also when seeding).</summary>
    public void AddPeer(IPEndPoint endPoint) => Remember([endPoint], dialNow: true);

    /// <summary>Peers from a tracker (or any other source): remembered and dialled like <see cref="AddPeer"/>.</summary>
    public void AddPeers(IEnumerable<IPEndPoint> endPoints) => Remember(endPoints, dialNow: false);

    private void Remember(IEnumerable<IPEndPoint> endPoints, bool dialNow)
    {
        SessionRun? run;
        lock (_sync)
        {
            foreach (var endPoint in endPoints)
            {
                _peerSet.Remember(endPoint, dialNow);
            }

            run = _run;
        }

        run?.DialKnownPeers();
    }

    public ResumeData? CaptureResumeData()
    {
        BitField have;
        lock (_sync)
        {
            if (_run is not { IsActive: true })
            {
                return Volatile.Read(ref _resume);
            }

            have = _picker.Have.Clone();
        }

        // Stamped after the pieces were taken: a write that lands later changes a stamp, and the file is checked again.
        return Capture(have);
    }

    /// <summary>Resume data of <paramref name="have"/> (a copy the caller gives up) and the files' stamps now.</summary>
    private ResumeData Capture(BitField have) => new(have, _storage.StampFiles());

    internal Handshake OurHandshake() => new(InfoHash, _engine.PeerId, SupportsExtensions: true, SupportsFast: true);

    /// <summary>An incoming connection whose handshake named this torrent: the task that runs it, or null when not running.</summary>
    internal Task? TryAccept(PeerConnection connection, Handshake handshake)
    {
        SessionRun? run;
        lock (_sync)
        {
            run = _run is { IsActive: true } active ? active : null;
        }

        return run?.Accept(connection, handshake);
    }

    /// <summary>The idlest useless peer of the running run and how long it has been idle, for the engine to make room; null when none.</summary>
    internal (PeerConnection Peer, long IdleMs)? IdlestPeer(long nowMs)
    {
        lock (_sync)
        {
            return _run is { IsActive: true } run ? run.IdlestPeer(nowMs) : null;
        }
    }

    /// <summary>The run failed (a disk error): the session is in error and the run ends in the background; a later start waits for that end.</summary>
    internal void Fail(SessionRun run, string reason)
    {
        lock (_sync)
        {
            if (_run != run)
            {
                return; // that run has already ended
            }

            _run = null;
            _state = TorrentState.Error;
            _error = reason;
            var previous = _failedRunEnding ?? Task.CompletedTask;
            _failedRunEnding = Task.WhenAll(previous, EndFailedAsync(run));
        }

        Log.SessionFailed(_logger, InfoHash.ToHex(), reason);
        RaiseIfChanged();
    }

    /// <summary>The last piece of the run was verified: the download is complete.</summary>
    internal void RunCompleted(SessionRun run)
    {
        lock (_sync)
        {
            if (_run != run || _state != TorrentState.Downloading)
            {
                return;
            }

            _state = TorrentState.Seeding;
        }

        _storage.CreateEmptyFiles();
        Log.Completed(_logger, InfoHash.ToHex());
        run.Announcer?.AnnounceCompleted();
    }

    internal void RaiseIfChanged()
    {
        TorrentStatus status;
        lock (_sync)
        {
            status = StatusLocked();
            var last = _lastRaised;
            if (last is not null && last.State == status.State && last.WholePercent == status.WholePercent && last.Error == status.Error
                && last.TrackerError == status.TrackerError)
            {
                return;
            }

            _lastRaised = status;
        }

        StatusChanged?.Invoke(this, status);
    }

    internal async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _storage.Dispose();
    }

    private PiecePicker NewPicker() => new(Torrent.PieceCount, Torrent.PieceLength, Torrent.TotalLength);

    private BitField AllPieces()
    {
        var all = new BitField(Torrent.PieceCount);
        all.SetAll();
        return all;
    }

    private SessionRun NewRun(PiecePicker picker)
    {
        CountRun(+1);
        return new(this, _engine, new Swarm(Torrent, _settings, _sync, picker, _totals, _logger), _peerSet, _storage);
    }

    /// <summary>Under the lock: the run's picker, given the pieces we <paramref name="have"/>, becomes the session's, and the run begins to download or seed.</summary>
    private void GoLive(SessionRun run, BitField have)
    {
        for (var piece = 0; piece < have.Length; piece++)
        {
            if (have[piece])
            {
                run.Swarm.Picker.SetHave(piece);
            }
        }

        _picker = run.Swarm.Picker;
        _state = _picker.IsComplete ? TorrentState.Seeding : TorrentState.Downloading;
        run.Begin();
    }

    /// <summary>
    /// Ends the current run (if any, and a failed one still ending) and leaves the session in <paramref name="next"/>;
    /// a pause does nothing unless the session is downloading or seeding.
    /// </summary>
    private async Task EndRunAsync(TorrentState next)
    {
        await _gate.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            SessionRun? run;
            lock (_sync)
            {
                if (next == TorrentState.Paused && _state is not (TorrentState.Downloading or TorrentState.Seeding))
                {
                    return;
                }

                run = _run;
                _run = null;
                _state = next;
                _error = null;
            }

            if (run is not null)
            {
                await run.DisposeAsync(next.ToString().ToLowerInvariant()).ConfigureAwait(false);
                if (run.Begun)
                {
                    Volatile.Write(ref _resume, Capture(run.Swarm.Picker.Have.Clone()));
                }
            }

            await EndFailedRunAsync().ConfigureAwait(false);
            _storage.CloseHandles();
        }
        finally
        {
            _gate.Release();
        }

        RaiseIfChanged();
    }

    /// <summary>A failed run ends like a stopped one, files closed (a failing disk may be mended before the next start).</summary>
    private async Task EndFailedAsync(SessionRun run)
    {
        await run.DisposeAsync("session error").ConfigureAwait(false);
        _storage.CloseHandles();
        Volatile.Write(ref _resume, null); // after a disk error, check everything at the next start
    }

    /// <summary>Waits for the end of a run that failed (called inside the gate).</summary>
    private async Task EndFailedRunAsync()
    {
        Task? ending;
        lock (_sync)
        {
            ending = _failedRunEnding;
            _failedRunEnding = null;
        }

        if (ending is not null)
        {
            await ending.ConfigureAwait(false);
        }
    }

    private TorrentStatus StatusLocked()
    {
        var verified = _picker.VerifiedBytes;
        var progress = Torrent.TotalLength == 0 ? (_picker.IsComplete ? 1 : 0) : (double)verified / Torrent.TotalLength;
        var swarm = _run?.Swarm;
        return new TorrentStatus(_state, progress, verified, swarm?.DownloadRate ?? 0, swarm?.UploadRate ?? 0, swarm?.Peers.Count ?? 0, _error, _run?.Announcer?.LastError);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Torrent {InfoHash} started with {Have}/{Pieces} pieces ({Hashed} hashed)")]
        public static partial void Started(ILogger logger, string infoHash, int have, int pieces, int hashed);

        [LoggerMessage(2, LogLevel.Information, "Torrent {InfoHash} completed")]
        public static partial void Completed(ILogger logger, string infoHash);

        [LoggerMessage(3, LogLevel.Error, "Torrent {InfoHash} failed: {Reason}")]
        public static partial void SessionFailed(ILogger logger, string infoHash, string reason);
    }
}
