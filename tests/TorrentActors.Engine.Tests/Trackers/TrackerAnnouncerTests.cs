using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

public sealed class TrackerAnnouncerTests
{
    private static readonly IPEndPoint Peer = IPEndPoint.Parse("127.0.0.1:6881");

    [Fact]
    public async Task Announcer_sends_started_then_regular_then_completed_then_stopped()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((_, _, _) => FakeTrackerClient.Ok(TimeSpan.FromMinutes(2), Peer));
        var left = 100L;
        var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e) with { Left = Interlocked.Read(ref left) }, client, time);
        var discovered = new ConcurrentQueue<IReadOnlyList<IPEndPoint>>();
        announcer.PeersDiscovered += discovered.Enqueue;

        announcer.Start();
        await client.WaitForCallsAsync(1);
        await time.WaitForPendingTimersAsync();
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(2), announcer.NextAnnounce);

        time.Advance(TimeSpan.FromSeconds(119));
        Assert.Single(client.Calls);
        time.Advance(TimeSpan.FromSeconds(1));
        await client.WaitForCallsAsync(2);
        await time.WaitForPendingTimersAsync();

        Interlocked.Exchange(ref left, 0);
        announcer.AnnounceCompleted();
        await client.WaitForCallsAsync(3);
        await time.WaitForPendingTimersAsync();
        announcer.AnnounceCompleted(); // only once

        var stop = announcer.StopAsync(CancellationToken.None);
        Assert.Same(stop, announcer.StopAsync(CancellationToken.None));
        await stop;
        await announcer.DisposeAsync();

        Assert.Equal([AnnounceEvent.Started, AnnounceEvent.None, AnnounceEvent.Completed, AnnounceEvent.Stopped], client.Events);
        Assert.Equal([100L, 100L, 0L, 0L], client.Calls.Select(c => c.Request.Left));
        Assert.Null(announcer.LastError);
        Assert.Null(announcer.NextAnnounce);
        Assert.Equal(4, discovered.Count);
        Assert.All(discovered, peers => Assert.Equal([Peer], peers));
    }

    [Fact]
    public async Task Regular_announces_wait_for_the_min_interval_when_it_is_longer()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((_, _, _) =>
            new AnnounceResponse(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), [], null, null, null, null));
        await using var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e), client, time);

        announcer.Start();
        await client.WaitForCallsAsync(1);
        await time.WaitForPendingTimersAsync();

        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(5), announcer.NextAnnounce);
    }

    [Fact]
    public async Task Failures_back_off_exponentially_and_the_loop_recovers()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((_, _, index) => index < 3
            ? throw new TrackerException($"tracker down #{index}")
            : FakeTrackerClient.Ok(TimeSpan.FromMinutes(10), Peer));
        await using var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e), client, time)
        {
            RetryBase = TimeSpan.FromSeconds(10),
        };

        announcer.Start();
        for (var failure = 0; failure < 3; failure++)
        {
            await client.WaitForCallsAsync(failure + 1);
            await time.WaitForPendingTimersAsync();
            Assert.Equal($"tracker down #{failure}", announcer.LastError);
            var wait = announcer.NextAnnounce!.Value - time.GetUtcNow();
            var expected = TimeSpan.FromSeconds(10 << failure);
            Assert.InRange(wait, expected, expected * 1.1);
            time.Advance(wait);
        }

        await client.WaitForCallsAsync(4);
        await time.WaitForPendingTimersAsync();
        Assert.Null(announcer.LastError);
        Assert.Equal(0, announcer.ConsecutiveFailures);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromMinutes(10), announcer.NextAnnounce);
        Assert.Equal([AnnounceEvent.Started, AnnounceEvent.Started, AnnounceEvent.Started, AnnounceEvent.Started], client.Events);
    }

    [Fact]
    public async Task Back_off_is_capped()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((_, _, _) => throw new TrackerException("down"));
        await using var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e), client, time)
        {
            RetryBase = TimeSpan.FromMinutes(10),
            RetryCap = TimeSpan.FromMinutes(30),
        };

        announcer.Start();
        for (var failure = 0; failure < 4; failure++)
        {
            await client.WaitForCallsAsync(failure + 1);
            await time.WaitForPendingTimersAsync();
            var wait = announcer.NextAnnounce!.Value - time.GetUtcNow();
            Assert.InRange(wait, TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(33));
            time.Advance(wait);
        }

        await client.WaitForCallsAsync(5);
        await time.WaitForPendingTimersAsync();
        Assert.InRange(announcer.NextAnnounce!.Value - time.GetUtcNow(), TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(33));
    }

    [Fact]
    public async Task Completed_during_back_off_is_sent_without_waiting()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((_, _, index) => index == 1
            ? throw new TrackerException("down")
            : FakeTrackerClient.Ok(TimeSpan.FromMinutes(30)));
        await using var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e), client, time);

        announcer.Start();
        await client.WaitForCallsAsync(1);
        await time.WaitForPendingTimersAsync();
        announcer.AnnounceCompleted(); // the first try of 'completed' fails
        await client.WaitForCallsAsync(2);
        await time.WaitForPendingTimersAsync();
        Assert.Equal("down", announcer.LastError);
        time.Advance(announcer.NextAnnounce!.Value - time.GetUtcNow());
        await client.WaitForCallsAsync(3);

        Assert.Equal([AnnounceEvent.Started, AnnounceEvent.Completed, AnnounceEvent.Completed], client.Events);
    }

    [Fact]
    public async Task Stop_waits_a_bounded_time_for_a_tracker_that_hangs()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient(async (_, request, _, cancellationToken) =>
        {
            if (request.Event == AnnounceEvent.Stopped)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            return FakeTrackerClient.Ok(TimeSpan.FromMinutes(30));
        });
        var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e), client, time);

        announcer.Start();
        await client.WaitForCallsAsync(1);
        var stop = announcer.StopAsync(CancellationToken.None);
        await client.WaitForCallsAsync(2);
        await time.WaitForPendingTimersAsync();
        Assert.False(stop.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        await stop.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("The 'stopped' announce did not finish within 5 s.", announcer.LastError);
    }

    [Fact]
    public async Task Stop_before_any_successful_announce_sends_nothing()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((_, _, _) => throw new TrackerException("down"));
        var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e), client, time);

        announcer.Start();
        await client.WaitForCallsAsync(1);
        await announcer.StopAsync(CancellationToken.None);
        await announcer.DisposeAsync();

        Assert.Equal([AnnounceEvent.Started], client.Events);
        Assert.Throws<ObjectDisposedException>(announcer.Start);
    }

    [Fact]
    public async Task A_tracker_that_is_down_is_retried_with_back_off()
    {
        var time = new ManualTimeProvider();
        var url = $"http://127.0.0.1:{FreePort.Tcp()}/announce";
        await using var announcer = new TrackerAnnouncer([[url]], e => TestBytes.Request(e), new TrackerClient(), time)
        {
            RetryBase = TimeSpan.FromSeconds(15),
        };

        announcer.Start();
        await Eventually.HoldsAsync(() => announcer.ConsecutiveFailures == 1 && time.PendingTimers == 1, "the first failure");
        Assert.StartsWith("Could not reach tracker", announcer.LastError, StringComparison.Ordinal);
        Assert.InRange(announcer.NextAnnounce!.Value - time.GetUtcNow(), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(16.5));

        time.Advance(announcer.NextAnnounce!.Value - time.GetUtcNow());
        await Eventually.HoldsAsync(() => announcer.ConsecutiveFailures == 2 && time.PendingTimers == 1, "the second failure");
        Assert.InRange(announcer.NextAnnounce!.Value - time.GetUtcNow(), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(33));
    }

    [Fact]
    public async Task A_tracker_that_answers_garbage_is_retried_until_it_recovers()
    {
        var time = new ManualTimeProvider();
        await using var server = new RawHttpServer((_, index) => index < 2
            ? RawHttpServer.Ok("<html>502 Bad Gateway</html>")
            : RawHttpServer.Ok(TestBytes.Of("d8:intervali60e5:peers6:", new byte[] { 127, 0, 0, 1, 0x1A, 0xE1 }, "e")));
        var discovered = new TaskCompletionSource<IReadOnlyList<IPEndPoint>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var announcer = new TrackerAnnouncer([[server.Announce.AbsoluteUri]], e => TestBytes.Request(e), new TrackerClient(), time);
        announcer.PeersDiscovered += peers => discovered.TrySetResult(peers);

        announcer.Start();
        await Eventually.HoldsAsync(() => announcer.ConsecutiveFailures == 1 && time.PendingTimers == 1, "the first failure");
        Assert.Contains("not a bencoded dictionary", announcer.LastError, StringComparison.Ordinal);
        time.Advance(announcer.NextAnnounce!.Value - time.GetUtcNow());
        await Eventually.HoldsAsync(() => announcer.ConsecutiveFailures == 2 && time.PendingTimers == 1, "the second failure");
        time.Advance(announcer.NextAnnounce!.Value - time.GetUtcNow());

        var peers = await discovered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Eventually.HoldsAsync(() => time.PendingTimers == 1, "the next regular announce");
        Assert.Equal([Peer], peers);
        Assert.Null(announcer.LastError);
        Assert.Equal(time.GetUtcNow() + TimeSpan.FromSeconds(60), announcer.NextAnnounce);
        Assert.All(server.RequestLines, line => Assert.Contains("&event=started&", line, StringComparison.Ordinal));
        Assert.Equal(3, server.RequestLines.Count);
    }

    [Fact]
    public async Task When_every_tracker_fails_last_error_and_the_failed_event_name_each_reason()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((uri, _, index) => uri.Host == "b.example" && index >= 2
            ? FakeTrackerClient.Ok(TimeSpan.FromMinutes(10), Peer)
            : throw new TrackerException(TrackerFailureKind.Timeout, $"{uri.Host} did not answer"));
        var logger = new ListLogger();
        await using var announcer = new TrackerAnnouncer(
            [["http://a.example/announce"], ["http://b.example/announce"]], e => TestBytes.Request(e), client, time, logger);
        var failedRounds = new ConcurrentQueue<AnnounceFailure>();
        var failedTrackers = new ConcurrentQueue<TrackerFailure>();
        var announced = new ConcurrentQueue<AnnounceEvent>();
        announcer.AnnounceFailed += failedRounds.Enqueue;
        announcer.TrackerFailed += failedTrackers.Enqueue;
        announcer.Announced += (e, _) => announced.Enqueue(e);

        announcer.Start();
        await client.WaitForCallsAsync(2);
        await time.WaitForPendingTimersAsync();

        const string Reason = "all 2 trackers failed: http://a.example/announce: a.example did not answer; http://b.example/announce: b.example did not answer";
        Assert.Equal(Reason, announcer.LastError);
        var round = Assert.Single(failedRounds);
        Assert.Equal(new AnnounceFailure(AnnounceEvent.Started, Reason, round.Trackers, 1, announcer.NextAnnounce), round);
        Assert.Equal(["http://a.example/announce", "http://b.example/announce"], round.Trackers.Select(t => t.Tracker));
        Assert.All(round.Trackers, t => Assert.Equal(TrackerFailureKind.Timeout, t.Kind));
        Assert.Equal(round.Trackers, failedTrackers);
        Assert.Equal(
            [
                $"Tracker http://a.example/announce failed for {TestBytes.SpecHash.ToHex()} (Timeout): a.example did not answer",
                $"Tracker http://b.example/announce failed for {TestBytes.SpecHash.ToHex()} (Timeout): b.example did not answer",
            ],
            logger.Warnings);

        time.Advance(announcer.NextAnnounce!.Value - time.GetUtcNow());
        await client.WaitForCallsAsync(4);
        await time.WaitForPendingTimersAsync();

        Assert.Null(announcer.LastError);
        Assert.Equal([AnnounceEvent.Started], announced);
        Assert.Single(failedRounds);
        Assert.Equal(3, failedTrackers.Count); // a failed again on the way to b
        Assert.Equal(2, logger.Warnings.Count); // a's reason did not change
        Assert.Equal(["Tracker http://b.example/announce answers again after 1 failures"], logger.At(LogLevel.Information));
    }

    [Fact]
    public async Task A_tracker_failing_for_the_same_reason_is_logged_once_then_every_tenth_time_and_on_each_new_reason()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((_, _, index) => index switch
        {
            < 21 => throw new TrackerException(TrackerFailureKind.Unreachable, "connection refused"),
            21 => throw new TrackerException(TrackerFailureKind.Refused, "Tracker refused: unregistered"),
            _ => FakeTrackerClient.Ok(TimeSpan.FromMinutes(10)),
        });
        var logger = new ListLogger();
        await using var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e), client, time, logger)
        {
            RetryBase = TimeSpan.FromSeconds(1),
            RetryCap = TimeSpan.FromSeconds(2),
        };

        announcer.Start();
        for (var call = 1; call <= 22; call++)
        {
            await client.WaitForCallsAsync(call);
            await time.WaitForPendingTimersAsync();
            time.Advance(announcer.NextAnnounce!.Value - time.GetUtcNow());
        }

        await client.WaitForCallsAsync(23);
        await Eventually.HoldsAsync(() => announcer.LastError is null, "the successful announce");

        var hash = TestBytes.SpecHash.ToHex();
        Assert.Equal(
            [
                $"Tracker http://t.example/announce failed for {hash} (Unreachable): connection refused",
                $"Tracker http://t.example/announce still failing for {hash}, 10 times in a row (Unreachable): connection refused",
                $"Tracker http://t.example/announce still failing for {hash}, 20 times in a row (Unreachable): connection refused",
                $"Tracker http://t.example/announce failed for {hash} (Refused): Tracker refused: unregistered",
            ],
            logger.Warnings);
        Assert.Equal(["Tracker http://t.example/announce answers again after 22 failures"], logger.At(LogLevel.Information));
    }

    [Fact]
    public async Task A_subscriber_that_throws_does_not_stop_the_announcer()
    {
        var time = new ManualTimeProvider();
        var client = new FakeTrackerClient((_, _, index) => index == 0
            ? throw new TrackerException("down")
            : FakeTrackerClient.Ok(TimeSpan.FromMinutes(10), Peer));
        await using var announcer = new TrackerAnnouncer([["http://t.example/announce"]], e => TestBytes.Request(e), client, time)
        {
            RetryBase = TimeSpan.FromSeconds(1),
        };
        announcer.AnnounceFailed += _ => throw new InvalidOperationException("subscriber bug");
        announcer.TrackerFailed += _ => throw new InvalidOperationException("subscriber bug");

        announcer.Start();
        await client.WaitForCallsAsync(1);
        await time.WaitForPendingTimersAsync();
        Assert.Equal("down", announcer.LastError);
        time.Advance(announcer.NextAnnounce!.Value - time.GetUtcNow());
        await client.WaitForCallsAsync(2);
        await Eventually.HoldsAsync(() => announcer.LastError is null && announcer.LastResponse is not null, "the second announce");
    }
}
