using System.Net;
using System.Text;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Trackers;
using TorrentActors.Interop.Tests.Peers;
using Xunit;

namespace TorrentActors.Interop.Tests.TrackerClient;

/// <summary>Our tracker client against a real opentracker, over HTTP and UDP.</summary>
public sealed class OpenTrackerInteropTests
{
    internal static readonly InfoHash Whitelisted = InfoHash.FromHex("123456789abcdef123456789abcdef123456789a");
    private static readonly InfoHash Other = InfoHash.FromHex("0102030405060708090a0b0c0d0e0f1011121314");

    [SkippableFact]
    public async Task Two_peers_announced_over_http_see_each_other()
    {
        await using var tracker = await OpenTrackerProcess.StartAsync([Whitelisted]);

        await TwoPeersSeeEachOtherAsync(tracker.AnnounceUri, new Engine.Trackers.TrackerClient());
    }

    [SkippableFact]
    public async Task Two_peers_announced_over_udp_see_each_other()
    {
        await using var tracker = await OpenTrackerProcess.StartAsync([Whitelisted]);
        var client = new Engine.Trackers.TrackerClient(
            new HttpTrackerClient(),
            new UdpTrackerClient { BaseTimeout = TimeSpan.FromSeconds(5) });

        await TwoPeersSeeEachOtherAsync(tracker.UdpAnnounceUri, client);
    }

    [SkippableFact]
    public async Task Scrape_counts_seeders_and_leechers_over_http_and_udp()
    {
        await using var tracker = await OpenTrackerProcess.StartAsync([Whitelisted, Other]);
        var client = new Engine.Trackers.TrackerClient(
            new HttpTrackerClient(),
            new UdpTrackerClient { BaseTimeout = TimeSpan.FromSeconds(5) });

        await client.AnnounceAsync(tracker.AnnounceUri, Request("-TA0001-seeder000001", 7001, left: 0), CancellationToken.None);
        await client.AnnounceAsync(tracker.UdpAnnounceUri, Request("-TA0001-leecher00001", 7002, left: 1000), CancellationToken.None);
        await client.AnnounceAsync(tracker.AnnounceUri, Request("-TA0001-leecher00002", 7003, left: 500), CancellationToken.None);

        var overHttp = await client.ScrapeAsync(tracker.AnnounceUri, [Whitelisted, Other], CancellationToken.None);
        var overUdp = await client.ScrapeAsync(tracker.UdpAnnounceUri, [Whitelisted, Other], CancellationToken.None);

        Assert.Equal(1, overHttp[Whitelisted].Complete);
        Assert.Equal(2, overHttp[Whitelisted].Incomplete);
        Assert.Equal(1, overUdp[Whitelisted].Complete);
        Assert.Equal(2, overUdp[Whitelisted].Incomplete);
        Assert.Equal(new ScrapeEntry(0, 0, 0), overUdp[Other]);
    }

    [SkippableFact]
    public async Task A_torrent_that_is_not_whitelisted_is_refused_with_the_trackers_reason()
    {
        await using var tracker = await OpenTrackerProcess.StartAsync([Other]);
        var client = new Engine.Trackers.TrackerClient(
            new HttpTrackerClient(),
            new UdpTrackerClient { BaseTimeout = TimeSpan.FromSeconds(5) });

        var overHttp = await Assert.ThrowsAsync<TrackerException>(() =>
            client.AnnounceAsync(tracker.AnnounceUri, Request("-TA0001-aaaaaaaaaaaa", 7001, left: 0), CancellationToken.None));

        Assert.True(overHttp.IsTrackerFailure, overHttp.Message);
    }

    [SkippableFact]
    public async Task Announcer_keeps_a_torrent_announced_to_a_real_tracker_and_stops_it()
    {
        await using var tracker = await OpenTrackerProcess.StartAsync([Whitelisted]);
        var client = new Engine.Trackers.TrackerClient();
        var announcer = new TrackerAnnouncer(
            [[tracker.UdpAnnounceUri.AbsoluteUri], [tracker.AnnounceUri.AbsoluteUri]],
            e => Request("-TA0001-announcer001", 7101, left: 0) with { Event = e },
            client);
        var announced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        announcer.Announced += (e, _) =>
        {
            if (e == AnnounceEvent.Started)
            {
                announced.TrySetResult();
            }
        };

        announcer.Start();
        await announced.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var whileRunning = await client.ScrapeAsync(tracker.AnnounceUri, [Whitelisted], CancellationToken.None);
        await announcer.StopAsync(CancellationToken.None);
        var afterStop = await client.ScrapeAsync(tracker.AnnounceUri, [Whitelisted], CancellationToken.None);

        Assert.Null(announcer.LastError);
        Assert.Equal(1, whileRunning[Whitelisted].Complete);
        Assert.Equal(0, afterStop[Whitelisted].Complete);
    }

    internal static async Task TwoPeersSeeEachOtherAsync(Uri announce, ITrackerClient client)
    {
        var first = await client.AnnounceAsync(announce, Request("-TA0001-peerA0000001", 7001, left: 1000), CancellationToken.None);
        var second = await client.AnnounceAsync(announce, Request("-TA0001-peerB0000001", 7002, left: 1000), CancellationToken.None);
        var firstAgain = await client.AnnounceAsync(announce, Request("-TA0001-peerA0000001", 7001, left: 1000) with { Event = AnnounceEvent.None }, CancellationToken.None);

        var a = new IPEndPoint(IPAddress.Loopback, 7001);
        var b = new IPEndPoint(IPAddress.Loopback, 7002);
        Assert.DoesNotContain(b, first.Peers);
        Assert.Contains(a, second.Peers);
        Assert.Contains(b, firstAgain.Peers);
        Assert.Equal(2, firstAgain.Incomplete);
        Assert.InRange(second.Interval, TrackerIntervals.Minimum, TrackerIntervals.Maximum);
    }

    internal static AnnounceRequest Request(string peerId, int port, long left) =>
        new(Whitelisted, Encoding.ASCII.GetBytes(peerId), port, 0, 0, left, AnnounceEvent.Started);
}
