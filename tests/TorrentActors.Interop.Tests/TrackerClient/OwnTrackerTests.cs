using TorrentActors.Engine.Trackers;
using TorrentActors.Tracker;
using Xunit;

namespace TorrentActors.Interop.Tests.TrackerClient;

/// <summary>Our tracker client against our own tracker (TorrentActors.Tracker), over HTTP and UDP, on loopback.</summary>
public sealed class OwnTrackerTests
{
    private static Task<TrackerServer> StartTrackerAsync() =>
        TrackerServer.StartAsync(new TrackerOptions { HttpPort = 0, UdpPort = 0, RequestsPerSecondPerAddress = 0 });

    private static Engine.Trackers.TrackerClient NewClient() =>
        new(new HttpTrackerClient(), new UdpTrackerClient { BaseTimeout = TimeSpan.FromSeconds(5) });

    [Fact]
    public async Task Two_peers_announced_over_http_see_each_other()
    {
        await using var tracker = await StartTrackerAsync();

        await OpenTrackerInteropTests.TwoPeersSeeEachOtherAsync(tracker.AnnounceUri, NewClient());
    }

    [Fact]
    public async Task Two_peers_announced_over_udp_see_each_other()
    {
        await using var tracker = await StartTrackerAsync();

        await OpenTrackerInteropTests.TwoPeersSeeEachOtherAsync(tracker.UdpAnnounceUri!, NewClient());
    }

    [Fact]
    public async Task Scrape_counts_seeders_and_leechers_over_http_and_udp()
    {
        await using var tracker = await StartTrackerAsync();
        var client = NewClient();
        var hash = OpenTrackerInteropTests.Whitelisted;

        await client.AnnounceAsync(tracker.AnnounceUri, OpenTrackerInteropTests.Request("-TA0001-seeder000001", 7001, left: 0), CancellationToken.None);
        await client.AnnounceAsync(tracker.UdpAnnounceUri!, OpenTrackerInteropTests.Request("-TA0001-leecher00001", 7002, left: 1000), CancellationToken.None);
        await client.AnnounceAsync(tracker.AnnounceUri, OpenTrackerInteropTests.Request("-TA0001-seeder000001", 7001, left: 0) with { Event = AnnounceEvent.Completed }, CancellationToken.None);

        var overHttp = await client.ScrapeAsync(tracker.AnnounceUri, [hash], CancellationToken.None);
        var overUdp = await client.ScrapeAsync(tracker.UdpAnnounceUri!, [hash], CancellationToken.None);

        Assert.Equal(1, overHttp[hash].Complete);
        Assert.Equal(1, overHttp[hash].Incomplete);
        Assert.Equal(overHttp[hash], overUdp[hash]);
    }

    [Fact]
    public async Task Announcer_fails_over_from_a_dead_tier_to_our_tracker_and_stops()
    {
        await using var tracker = await StartTrackerAsync();
        var dead = $"udp://127.0.0.1:{FreePort.Udp()}/announce";
        var announcer = new TrackerAnnouncer(
            [[dead], [tracker.AnnounceUri.AbsoluteUri]],
            e => OpenTrackerInteropTests.Request("-TA0001-announcer001", 7101, left: 0) with { Event = e },
            NewClient());
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        announcer.Announced += (e, _) =>
        {
            if (e == AnnounceEvent.Started)
            {
                started.TrySetResult();
            }
        };

        announcer.Start();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var peersWhileRunning = tracker.PeerCount;
        await announcer.StopAsync(CancellationToken.None);

        Assert.Equal(tracker.AnnounceUri.AbsoluteUri, announcer.CurrentTracker);
        Assert.Equal(1, peersWhileRunning);
        Assert.Equal(0, tracker.PeerCount);
        Assert.Null(announcer.LastError);
    }
}
