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
    public async Task When_every_tracker_fails_every_reason_is_reported()
    {
        var tiers = new TrackerTiers([["http://a.example/announce", "not a url"], ["udp://b.example:1/announce"]], new Random(1));
        var order = tiers.Tiers[0].ToArray();
        var client = new FakeTrackerClient((uri, _, _) => uri.Host == "a.example"
            ? throw new TrackerException(TrackerFailureKind.Refused, "Tracker refused: unregistered")
            : throw new TrackerException(TrackerFailureKind.Timeout, $"{uri.Host} did not answer"));
        var reported = new List<TrackerFailure>();

        var error = await Assert.ThrowsAsync<TrackerException>(() => tiers.AnnounceAsync(client, TestBytes.Request(), CancellationToken.None, reported.Add));

        var a = new TrackerFailure("http://a.example/announce", TrackerFailureKind.Refused, "Tracker refused: unregistered");
        var bad = new TrackerFailure("not a url", TrackerFailureKind.BadUrl, "'not a url' is not a valid tracker URL.");
        var b = new TrackerFailure("udp://b.example:1/announce", TrackerFailureKind.Timeout, "b.example did not answer");
        TrackerFailure[] expected = order[0] == a.Tracker ? [a, bad, b] : [bad, a, b];
        Assert.Equal(expected, error.Failures);
        Assert.Equal(expected, reported);
        Assert.Equal("all 3 trackers failed: " + string.Join("; ", expected.Select(f => $"{f.Tracker}: {f.Reason}")), error.Message);
        Assert.Equal(TrackerFailureKind.Timeout, error.Kind);
        Assert.Equal(2, client.Calls.Count);
    }

    [Fact]
    public async Task A_lone_tracker_that_fails_is_reported_with_its_own_reason()
    {
        var tiers = new TrackerTiers([["http://a.example/announce"]]);
        var client = new FakeTrackerClient((_, _, _) => throw new TrackerException(TrackerFailureKind.Refused, "Tracker refused: unregistered"));

        var error = await Assert.ThrowsAsync<TrackerException>(() => tiers.AnnounceAsync(client, TestBytes.Request(), CancellationToken.None));

        Assert.Equal("Tracker refused: unregistered", error.Message);
        Assert.True(error.IsTrackerFailure);
    }

    [Fact]
    public async Task Many_failures_are_summed_up_after_the_first_few()
    {
        var urls = Enumerable.Range(0, TrackerTiers.MaxReasonsInMessage + 3).Select(i => $"http://t{i}.example/announce").ToArray();
        var tiers = new TrackerTiers(urls.Select(url => new[] { url }).ToArray());
        var client = new FakeTrackerClient((uri, _, _) => throw new TrackerException($"{uri.Host} is down"));

        var error = await Assert.ThrowsAsync<TrackerException>(() => tiers.AnnounceAsync(client, TestBytes.Request(), CancellationToken.None));

        Assert.Equal(urls.Length, error.Failures.Count);
        Assert.StartsWith($"all {urls.Length} trackers failed: http://t0.example/announce: t0.example is down; ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith($"t{TrackerTiers.MaxReasonsInMessage - 1}.example is down; and 3 more", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("InvalidOperationException")]
    [InlineData("InvalidDataException")]
    [InlineData("UriFormatException")]
    [InlineData("OperationCanceledException")]
    [InlineData("faulted task")]
    public async Task Any_exception_from_a_tracker_client_moves_on_to_the_next_tracker(string thrown)
    {
        var tiers = new TrackerTiers([["http://bad.example/announce"], ["http://good.example/announce"]]);
        var client = new FakeTrackerClient((uri, _, _, _) => uri.Host == "good.example"
            ? Task.FromResult(FakeTrackerClient.Ok(TimeSpan.FromMinutes(1)))
            : thrown switch
            {
                "InvalidOperationException" => throw new InvalidOperationException("Decoder ran into invalid data."),
                "InvalidDataException" => throw new InvalidDataException("bad gzip"),
                "UriFormatException" => throw new UriFormatException("Invalid URI"),
                "OperationCanceledException" => throw new OperationCanceledException("an internal timeout"),
                _ => Task.FromException<AnnounceResponse>(new NotSupportedException("async")),
            });
        var reported = new List<TrackerFailure>();

        var (url, _) = await tiers.AnnounceAsync(client, TestBytes.Request(), CancellationToken.None, reported.Add);

        Assert.Equal("http://good.example/announce", url);
        var failure = Assert.Single(reported);
        Assert.Equal("http://bad.example/announce", failure.Tracker);
        Assert.Equal(TrackerFailureKind.BadReply, failure.Kind);
        Assert.StartsWith("Tracker http://bad.example/announce failed: ", failure.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_callers_cancellation_ends_the_walk_instead_of_moving_on()
    {
        var tiers = new TrackerTiers([["http://slow.example/announce"], ["http://good.example/announce"]]);
        using var cancellation = new CancellationTokenSource();
        var client = new FakeTrackerClient(async (uri, _, _, token) =>
        {
            await cancellation.CancelAsync();
            token.ThrowIfCancellationRequested();
            return FakeTrackerClient.Ok(TimeSpan.FromMinutes(1));
        });

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tiers.AnnounceAsync(client, TestBytes.Request(), cancellation.Token));

        Assert.Single(client.Calls);
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
