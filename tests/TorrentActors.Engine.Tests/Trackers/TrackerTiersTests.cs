using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

public sealed class TrackerTiersTests
{
    private static readonly string[][] ThreeTiers =
    [
        ["http://a1.example/announce", "http://a2.example/announce", "http://a3.example/announce"],
        ["udp://b1.example:1/announce", "udp://b2.example:1/announce"],
        ["http://c1.example/announce"],
    ];

    [Fact]
    public void Urls_are_shuffled_within_their_tier_only()
    {
        var tiers = new TrackerTiers(ThreeTiers, new Random(7));

        Assert.Equal(3, tiers.Tiers.Count);
        for (var i = 0; i < ThreeTiers.Length; i++)
        {
            Assert.Equal(ThreeTiers[i].Order(), tiers.Tiers[i].Order());
        }
    }

    [Fact]
    public void Shuffling_changes_the_order_for_some_seed()
    {
        var orders = Enumerable.Range(0, 20).Select(seed => string.Join(",", new TrackerTiers(ThreeTiers, new Random(seed)).Tiers[0])).Distinct();

        Assert.True(orders.Count() > 1);
    }

    [Fact]
    public async Task Tiers_are_tried_in_order_and_urls_within_a_tier_in_order()
    {
        var tiers = new TrackerTiers(ThreeTiers, new Random(3));
        var order = tiers.Tiers.SelectMany(t => t).ToArray();
        var client = new FakeTrackerClient((uri, _, _) => uri.Host == "c1.example"
            ? FakeTrackerClient.Ok(TimeSpan.FromMinutes(1))
            : throw new TrackerException($"{uri.Host} is down"));

        var (url, _) = await tiers.AnnounceAsync(client, TestBytes.Request(), CancellationToken.None);

        Assert.Equal("http://c1.example/announce", url);
        Assert.Equal(order, client.Calls.Select(c => c.Tracker.AbsoluteUri));
    }

    [Fact]
    public async Task A_url_that_answers_moves_to_the_front_of_its_tier()
    {
        var tiers = new TrackerTiers(ThreeTiers, new Random(3));
        var firstTier = tiers.Tiers[0].ToArray();
        var client = new FakeTrackerClient((uri, _, _) => uri.AbsoluteUri == firstTier[2]
            ? FakeTrackerClient.Ok(TimeSpan.FromMinutes(1))
            : throw new TrackerException($"{uri.Host} is down"));

        await tiers.AnnounceAsync(client, TestBytes.Request(), CancellationToken.None);
        await tiers.AnnounceAsync(client, TestBytes.Request(AnnounceEvent.None), CancellationToken.None);

        Assert.Equal([firstTier[2], firstTier[0], firstTier[1]], tiers.Tiers[0]);
        Assert.Equal(firstTier[2], client.Calls[3].Tracker.AbsoluteUri);
        Assert.Equal(4, client.Calls.Count);
    }

    [Fact]
    public async Task When_every_tracker_fails_the_last_reason_is_reported()
    {
        var tiers = new TrackerTiers([["http://a.example/announce", "not a url"], ["udp://b.example:1/announce"]]);
        var client = new FakeTrackerClient((uri, _, _) => throw new TrackerException($"{uri.Host} is down"));

        var error = await Assert.ThrowsAsync<TrackerException>(() => tiers.AnnounceAsync(client, TestBytes.Request(), CancellationToken.None));

        Assert.Equal("None of 3 trackers answered; last: b.example is down", error.Message);
        Assert.Equal(2, client.Calls.Count);
    }

    [Fact]
    public async Task A_torrent_without_trackers_is_a_tracker_exception()
    {
        var tiers = new TrackerTiers([[], [" "]]);
        var client = new FakeTrackerClient((_, _, _) => FakeTrackerClient.Ok(TimeSpan.FromMinutes(1)));

        Assert.True(tiers.IsEmpty);
        await Assert.ThrowsAsync<TrackerException>(() => tiers.AnnounceAsync(client, TestBytes.Request(), CancellationToken.None));
    }
}
