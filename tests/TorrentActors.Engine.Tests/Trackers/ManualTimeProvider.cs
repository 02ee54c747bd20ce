using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

/// <summary>A clock that moves only when the test says so; timers fire inside <see cref="Advance"/>.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public int PendingTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(t => t.Due is not null);
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_gate)
        {
            _now += by;
            due = _timers.Where(t => t.Due <= _now).ToList();
            foreach (var timer in due)
            {
                timer.Due = timer.Period > TimeSpan.Zero ? _now + timer.Period : null;
            }
        }

        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    /// <summary>Waits (real time, bounded) until at least <paramref name="count"/> timers are pending.</summary>
    public async Task WaitForPendingTimersAsync(int count = 1)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (PendingTimers < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {count} pending timer(s); have {PendingTimers}");
            await Task.Delay(5);
        }
    }

    private void Remove(ManualTimer timer)
    {
        lock (_gate)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset? Due { get; set; }

        public TimeSpan Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
            }

            if (dueTime == TimeSpan.Zero)
            {
                owner.Advance(TimeSpan.Zero);
            }

            return true;
        }

        public void Fire() => callback(state);

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>An <see cref="ITrackerClient"/> that records each announce and answers with what the test scripts.</summary>
internal sealed class FakeTrackerClient : ITrackerClient
{
    private readonly Lock _gate = new();
    private readonly List<(Uri Tracker, AnnounceRequest Request)> _calls = [];
    private readonly SemaphoreSlim _called = new(0);
    private readonly Func<Uri, AnnounceRequest, int, CancellationToken, Task<AnnounceResponse>> _answer;

    public FakeTrackerClient(Func<Uri, AnnounceRequest, int, AnnounceResponse> answer)
        : this((tracker, request, index, _) => Task.FromResult(answer(tracker, request, index)))
    {
    }

    public FakeTrackerClient(Func<Uri, AnnounceRequest, int, CancellationToken, Task<AnnounceResponse>> answer) => _answer = answer;

    public IReadOnlyList<(Uri Tracker, AnnounceRequest Request)> Calls
    {
        get
        {
            lock (_gate)
            {
                return _calls.ToArray();
            }
        }
    }

    public static AnnounceResponse Ok(TimeSpan interval, params System.Net.IPEndPoint[] peers) =>
        new(interval, null, peers, null, null, null, null);

    public Task<AnnounceResponse> AnnounceAsync(Uri tracker, AnnounceRequest request, CancellationToken cancellationToken)
    {
        int index;
        lock (_gate)
        {
            index = _calls.Count;
            _calls.Add((tracker, request));
        }

        try
        {
            return _answer(tracker, request, index, cancellationToken);
        }
        catch (TrackerException e)
        {
            return Task.FromException<AnnounceResponse>(e);
        }
        finally
        {
            _called.Release();
        }
    }

    public Task<IReadOnlyDictionary<TorrentActors.Engine.Metainfo.InfoHash, ScrapeEntry>> ScrapeAsync(Uri tracker, IReadOnlyList<TorrentActors.Engine.Metainfo.InfoHash> infoHashes, CancellationToken cancellationToken) =>
        throw new TrackerException("scrape is not scripted");

    public AnnounceEvent[] Events => Calls.Select(c => c.Request.Event).ToArray();

    /// <summary>Waits (real time, bounded) until <paramref name="count"/> announces in all have been made.</summary>
    public async Task WaitForCallsAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (Calls.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, $"timed out waiting for announce #{count}; have {Calls.Count}");
            await _called.WaitAsync(left);
        }
    }
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> (real time, bounded) until it holds.</summary>
    public static async Task HoldsAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(5);
        }
    }
}
