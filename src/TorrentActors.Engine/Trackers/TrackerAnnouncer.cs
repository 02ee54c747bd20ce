using System.Net;

namespace TorrentActors.Engine.Trackers;

/// <summary>
/// Keeps one torrent announced to its trackers (BEP 3, tiers per BEP 12). <see cref="Start"/> runs one background
/// loop: 'started' first, then a regular announce every interval the tracker asks for, 'completed' as soon as
/// <see cref="AnnounceCompleted"/> is called, and 'stopped' from <see cref="StopAsync"/>. A failed announce is
/// retried after an exponential back-off (<see cref="RetryBase"/>·2^n with a little jitter, capped at
/// <see cref="RetryCap"/>); the loop never ends on a tracker error, it records it in <see cref="LastError"/>.
/// All waiting goes through the <see cref="TimeProvider"/>, so tests drive time.
/// </summary>
public sealed class TrackerAnnouncer : IAsyncDisposable
{
    private readonly TrackerTiers _tiers;
    private readonly Func<AnnounceEvent, AnnounceRequest> _requestFactory;
    private readonly ITrackerClient _client;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly TrackerClient? _ownedClient;

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
        TimeProvider? time = null)
    {
        _tiers = new TrackerTiers(tiers);
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

    /// <summary>The wait after the first failure; it doubles with each further failure in a row.</summary>
    public TimeSpan RetryBase { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RetryCap { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long <see cref="StopAsync"/> waits for the tracker to take the 'stopped' announce.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Why the last announce failed; null after a success.</summary>
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
            var (url, response) = await _tiers.AnnounceAsync(_client, CreateRequest(AnnounceEvent.Stopped), linked.Token).ConfigureAwait(false);
            RecordSuccess(AnnounceEvent.Stopped, url, response);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            RecordError($"The 'stopped' announce did not finish within {StopTimeout.TotalSeconds:0.#} s.");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A tracker error or a failing request factory: stopping goes on regardless.
            RecordError(e.Message);
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
            try
            {
                var (url, response) = await _tiers.AnnounceAsync(_client, CreateRequest(next), cancellationToken).ConfigureAwait(false);
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
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A tracker error or a failing request factory: keep the session going and try again later.
                int failures;
                lock (_gate)
                {
                    failures = ++_failures;
                    _startedInFlight = false;
                }

                RecordError(e.Message);
                delay = Backoff(failures);
            }

            TaskCompletionSource wake;
            lock (_gate)
            {
                _nextAnnounce = _time.GetUtcNow() + delay;
                wake = _wake;
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

    private void RecordSuccess(AnnounceEvent announceEvent, string url, AnnounceResponse response)
    {
        lock (_gate)
        {
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

        Raise(announceEvent, response);
    }

    private void RecordError(string message)
    {
        lock (_gate)
        {
            _lastError = message;
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
            RecordError($"A tracker event handler failed: {e.Message}");
        }
    }
}
