using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TorrentActors.Engine.Trackers;

/// <summary>
/// Keeps one torrent announced to its trackers (BEP 3, tiers per BEP 12). <see cref="Start"/> runs one background
/// loop: 'started' first, then a regular announce every interval the tracker asks for, 'completed' as soon as
/// <see cref="AnnounceCompleted"/> is called, and 'stopped' from <see cref="StopAsync"/>. A failed announce is
/// retried after an exponential back-off (<see cref="RetryBase"/>·2^n with a little jitter, capped at
/// <see cref="RetryCap"/>); the loop never ends on a tracker error, it records it in <see cref="LastError"/>.
/// All waiting goes through the <see cref="TimeProvider"/>, so tests drive time.
/// <para>
/// Within one announce a tracker that fails in any way gives way to the next one at once (BEP 12, see
/// <see cref="TrackerTiers.AnnounceAsync"/>). Each tracker failure raises <see cref="TrackerFailed"/> and is logged as
/// one warning, without flooding: a tracker's first failure and every change of its reason are logged, a reason
/// that repeats only every <see cref="RepeatedFailureLogInterval"/>th time, and a tracker that answers again after
/// failing is logged once at information level. A round in which no tracker answered raises
/// <see cref="AnnounceFailed"/>; a round that got an answer raises <see cref="Announced"/>.
/// </para>
/// </summary>
public sealed partial class TrackerAnnouncer : IAsyncDisposable
{
    private readonly TrackerTiers _tiers;
    private readonly Func<AnnounceEvent, AnnounceRequest> _requestFactory;
    private readonly ITrackerClient _client;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly TrackerClient? _ownedClient;
    private readonly ILogger _logger;
    private readonly Dictionary<string, FailingTracker> _failing = new(StringComparer.Ordinal);

    private TaskCompletionSource _wake = NewWake();
    private CancellationTokenSource? _cancellation;
    private Task? _loop;
    private Task? _stop;
    private bool _stopping;
    private bool _announcedOnce;
    private bool _startedInFlight;
    private bool _completedRequested;
    private bool _completedSent;
    private int _failures;
    private string? _lastError;
    private DateTimeOffset? _nextAnnounce;
    private AnnounceResponse? _lastResponse;
    private string? _currentTracker;

    public TrackerAnnouncer(
        IReadOnlyList<IReadOnlyList<string>> tiers,
        Func<AnnounceEvent, AnnounceRequest> requestFactory,
        ITrackerClient? client = null,
        TimeProvider? time = null,
        ILogger? logger = null)
    {
        _tiers = new TrackerTiers(tiers);
        _logger = logger ?? NullLogger.Instance;
        _requestFactory = requestFactory;
        _time = time ?? TimeProvider.System;
        if (client is null)
        {
            _ownedClient = new TrackerClient(time: _time);
        }

        _client = client ?? _ownedClient!;
    }

    /// <summary>Peers from every successful announce (not raised for an empty list).</summary>
    public event Action<IReadOnlyList<IPEndPoint>>? PeersDiscovered;

    /// <summary>Every successful announce, with the event it carried.</summary>
    public event Action<AnnounceEvent, AnnounceResponse>? Announced;

    /// <summary>
    /// An announce in which no tracker answered (or the request could not be made): the reason is the one
    /// <see cref="LastError"/> now holds. Raised on the announcer's loop; a handler that throws is ignored.
    /// </summary>
    public event Action<AnnounceFailure>? AnnounceFailed;

    /// <summary>Each single tracker that fails, also when a later tracker of the list then answers.</summary>
    public event Action<TrackerFailure>? TrackerFailed;

    /// <summary>A tracker failing again for the same reason is logged only every this many times.</summary>
    public const int RepeatedFailureLogInterval = 10;

    /// <summary>The wait after the first failure; it doubles with each further failure in a row.</summary>
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RetryCap { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long <see cref="StopAsync"/> waits for the tracker to take the 'stopped' announce.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Why the last announce failed, null after a success: the tracker's reason when the torrent lists one tracker,
    /// else "all N trackers failed: URL: reason; ..." (see <see cref="TrackerTiers.AnnounceAsync"/>).
    /// </summary>
    public string? LastError
    {
        get { lock (_gate) { return _lastError; } }
    }

    /// <summary>When the loop will announce next; null before <see cref="Start"/> and after <see cref="StopAsync"/>.</summary>
    public DateTimeOffset? NextAnnounce
    {
        get { lock (_gate) { return _nextAnnounce; } }
    }

    public AnnounceResponse? LastResponse
    {
        get { lock (_gate) { return _lastResponse; } }
    }

    /// <summary>The URL that answered last.</summary>
    public string? CurrentTracker
    {
        get { lock (_gate) { return _currentTracker; } }
    }

    public int ConsecutiveFailures
    {
        get { lock (_gate) { return _failures; } }
    }

    /// <summary>Starts the loop (once; later calls do nothing).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (_loop is not null)
            {
                return;
            }

            _cancellation = new CancellationTokenSource();
            var token = _cancellation.Token;
            _loop = Task.Run(() => RunAsync(token), CancellationToken.None);
        }
    }

    /// <summary>Marks the download complete: the next announce, sent without waiting for the interval, carries 'completed' (once).</summary>
    public void AnnounceCompleted()
    {
        TaskCompletionSource wake;
        lock (_gate)
        {
            if (_completedRequested)
            {
                return;
            }

            _completedRequested = true;
            wake = _wake;
        }

        wake.TrySetResult();
    }

    /// <summary>
    /// Ends the loop and, if any announce got through (or the first was under way), tells the tracker 'stopped' (waiting at most <see cref="StopTimeout"/>).
    /// Errors are kept in <see cref="LastError"/>. Later calls return the same task.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _stopping = true;
            return _stop ??= StopCoreAsync(_cancellation, _loop, cancellationToken);
        }
    }

    private async Task StopCoreAsync(CancellationTokenSource? cancellation, Task? loop, CancellationToken cancellationToken)
    {
        await Task.Yield(); // leave the caller's lock before cancelling
        try
        {
            await StopLoopAndAnnounceStoppedAsync(cancellation, loop, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _ownedClient?.Dispose();
        }
    }

    private async Task StopLoopAndAnnounceStoppedAsync(CancellationTokenSource? cancellation, Task? loop, CancellationToken cancellationToken)
    {
        if (cancellation is null || loop is null)
        {
            return;
        }

        await cancellation.CancelAsync().ConfigureAwait(false);
        await loop.ConfigureAwait(false); // the loop ends on cancellation and never throws
        cancellation.Dispose();

        bool announced;
        lock (_gate)
        {
            announced = _announcedOnce || _startedInFlight;
            _nextAnnounce = null;
        }

        if (!announced)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(StopTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var (url, response) = await AnnounceOnceAsync(AnnounceEvent.Stopped, linked.Token).ConfigureAwait(false);
            RecordSuccess(AnnounceEvent.Stopped, url, response);
        }
        catch (Exception) when (linked.IsCancellationRequested)
        {
            RecordFailure(AnnounceEvent.Stopped, $"The 'stopped' announce did not finish within {StopTimeout.TotalSeconds:0.#} s.", [], null);
        }
        catch (Exception e)
        {
            // A tracker error or a failing request factory: stopping goes on regardless.
            RecordFailure(AnnounceEvent.Stopped, e.Message, (e as TrackerException)?.Failures ?? [], null);
        }
    }

    /// <summary>Same as <see cref="StopAsync"/> without a caller's token.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private static TaskCompletionSource NewWake() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            AnnounceEvent next;
            lock (_gate)
            {
                _wake = NewWake();
                next = !_announcedOnce ? AnnounceEvent.Started
                    : _completedRequested && !_completedSent ? AnnounceEvent.Completed
                    : AnnounceEvent.None;

                // A 'started' cut short by the stop may have reached the tracker: it gets its 'stopped' too.
                _startedInFlight = next == AnnounceEvent.Started;
            }

            TimeSpan delay;
            (string Reason, IReadOnlyList<TrackerFailure> Trackers)? failed = null;
            try
            {
                var (url, response) = await AnnounceOnceAsync(next, cancellationToken).ConfigureAwait(false);
                RecordSuccess(next, url, response);
                delay = response.MinInterval is { } min && min > response.Interval ? min : response.Interval;
                lock (_gate)
                {
                    if (_completedRequested && !_completedSent)
                    {
                        delay = TimeSpan.Zero;
                    }
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return; // stopping: whatever the cancelled announce threw is of no interest
            }
            catch (Exception e)
            {
                // Every tracker failed, or the request factory did: keep the session going and try again later.
                int failures;
                lock (_gate)
                {
                    failures = ++_failures;
                    _startedInFlight = false;
                }

                failed = (e.Message, (e as TrackerException)?.Failures ?? []);
                delay = Backoff(failures);
            }

            TaskCompletionSource wake;
            DateTimeOffset nextAnnounce;
            lock (_gate)
            {
                nextAnnounce = _time.GetUtcNow() + delay;
                _nextAnnounce = nextAnnounce;
                wake = _wake;
            }

            if (failed is var (reason, trackers))
            {
                RecordFailure(next, reason, trackers, nextAnnounce);
            }

            if (!await WaitAsync(delay, wake.Task, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Waits for <paramref name="delay"/> or a wake-up; false when cancelled.</summary>
    private async Task<bool> WaitAsync(TimeSpan delay, Task wake, CancellationToken cancellationToken)
    {
        if (delay <= TimeSpan.Zero)
        {
            return !cancellationToken.IsCancellationRequested;
        }

        using var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sleep = Task.Delay(delay, _time, delayCancellation.Token);
        await Task.WhenAny(sleep, wake).ConfigureAwait(false);
        await delayCancellation.CancelAsync().ConfigureAwait(false);
        return !cancellationToken.IsCancellationRequested;
    }

    private TimeSpan Backoff(int failures)
    {
        var exponent = Math.Min(failures - 1, 20);
        var ticks = Math.Min(RetryBase.Ticks * (1L << exponent), RetryCap.Ticks);
        var jitter = (long)(ticks * 0.1 * Random.Shared.NextDouble());
        return TimeSpan.FromTicks(ticks + jitter);
    }

    private AnnounceRequest CreateRequest(AnnounceEvent announceEvent) => _requestFactory(announceEvent) with { Event = announceEvent };

    /// <summary>One walk over the tiers; each tracker that fails on the way is logged and reported.</summary>
    private Task<(string Url, AnnounceResponse Response)> AnnounceOnceAsync(AnnounceEvent announceEvent, CancellationToken cancellationToken)
    {
        var request = CreateRequest(announceEvent);
        return _tiers.AnnounceAsync(_client, request, cancellationToken, failure => OnTrackerFailed(request, failure));
    }

    private void OnTrackerFailed(AnnounceRequest request, TrackerFailure failure)
    {
        FailingTracker now;
        lock (_gate)
        {
            now = _failing.TryGetValue(failure.Tracker, out var known)
                ? known.Reason == failure.Reason
                    ? known with { Repeats = known.Repeats + 1, Failures = known.Failures + 1 }
                    : new FailingTracker(failure.Reason, 1, known.Failures + 1)
                : new FailingTracker(failure.Reason, 1, 1);
            _failing[failure.Tracker] = now;
        }

        // Logged: the first failure, each change of reason, then every RepeatedFailureLogInterval-th repeat.
        if (now.Repeats == 1)
        {
            Log.TrackerFailed(_logger, failure.Tracker, request.InfoHash.ToHex(), failure.Kind, failure.Reason);
        }
        else if (now.Repeats % RepeatedFailureLogInterval == 0)
        {
            Log.TrackerStillFailing(_logger, failure.Tracker, request.InfoHash.ToHex(), now.Failures, failure.Kind, failure.Reason);
        }

        Notify(() => TrackerFailed?.Invoke(failure));
    }

    private void RecordSuccess(AnnounceEvent announceEvent, string url, AnnounceResponse response)
    {
        int failedBefore;
        lock (_gate)
        {
            failedBefore = _failing.Remove(url, out var known) ? known.Failures : 0;
            _announcedOnce = true;
            _startedInFlight = false;
            _failures = 0;
            _lastError = null;
            _lastResponse = response;
            _currentTracker = url;
            if (announceEvent == AnnounceEvent.Completed)
            {
                _completedSent = true;
            }
        }

        if (failedBefore > 0)
        {
            Log.TrackerRecovered(_logger, url, failedBefore);
        }

        Raise(announceEvent, response);
    }

    private void RecordFailure(AnnounceEvent announceEvent, string reason, IReadOnlyList<TrackerFailure> trackers, DateTimeOffset? nextAttempt)
    {
        int failures;
        lock (_gate)
        {
            _lastError = reason;
            failures = _failures;
        }

        Log.AnnounceFailed(_logger, announceEvent, reason);
        var failure = new AnnounceFailure(announceEvent, reason, trackers, failures, nextAttempt);
        Notify(() => AnnounceFailed?.Invoke(failure));
    }

    private void RecordError(string message)
    {
        lock (_gate)
        {
            _lastError = message;
        }
    }

    /// <summary>Calls a subscriber; one that throws is logged and the loop goes on.</summary>
    private void Notify(Action raise)
    {
        try
        {
            raise();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.HandlerFailed(_logger, e.Message);
        }
    }

    private void Raise(AnnounceEvent announceEvent, AnnounceResponse response)
    {
        try
        {
            Announced?.Invoke(announceEvent, response);
            if (response.Peers.Count > 0)
            {
                PeersDiscovered?.Invoke(response.Peers);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Log.HandlerFailed(_logger, e.Message);
            RecordError($"A tracker event handler failed: {e.Message}");
        }
    }

    /// <summary>A tracker that failed last time: its reason, how often in a row with that reason, how often in a row at all.</summary>
    private readonly record struct FailingTracker(string Reason, int Repeats, int Failures);

    private static partial class Log
    {
        [LoggerMessage(300, LogLevel.Warning, "Tracker {Tracker} failed for {InfoHash} ({Kind}): {Reason}")]
        public static partial void TrackerFailed(ILogger logger, string tracker, string infoHash, TrackerFailureKind kind, string reason);

        [LoggerMessage(301, LogLevel.Warning, "Tracker {Tracker} still failing for {InfoHash}, {Failures} times in a row ({Kind}): {Reason}")]
        public static partial void TrackerStillFailing(ILogger logger, string tracker, string infoHash, int failures, TrackerFailureKind kind, string reason);

        [LoggerMessage(302, LogLevel.Information, "Tracker {Tracker} answers again after {Failures} failures")]
        public static partial void TrackerRecovered(ILogger logger, string tracker, int failures);

        [LoggerMessage(303, LogLevel.Debug, "Announce ({Event}) failed: {Reason}")]
        public static partial void AnnounceFailed(ILogger logger, AnnounceEvent @event, string reason);

        [LoggerMessage(304, LogLevel.Warning, "A tracker event handler failed: {Reason}")]
        public static partial void HandlerFailed(ILogger logger, string reason);
    }
}

/// <summary>
/// An announce in which no tracker answered: the event it carried, the reason (as <see cref="TrackerAnnouncer.LastError"/>
/// now says), each tracker's failure in the order tried, the failures in a row so far, and when the next try is due
/// (null for the final 'stopped').
/// </summary>
public sealed record AnnounceFailure(
    AnnounceEvent Event,
    string Reason,
    IReadOnlyList<TrackerFailure> Trackers,
    int ConsecutiveFailures,
    DateTimeOffset? NextAttempt);
