using TorrentActors.Engine.Picking;
using Xunit;

namespace TorrentActors.Engine.Tests.Picking;

public sealed class ChokerTests
{
    [Fact]
    public void Leeching_unchokes_the_fastest_uploaders_to_us_plus_one_optimistic()
    {
        var choker = new Choker(2, TimeSpan.FromSeconds(30), new Random(1));
        var peers = new[]
        {
            new ChokeCandidate(1, true, 100, 0),
            new ChokeCandidate(2, true, 500, 0),
            new ChokeCandidate(3, true, 300, 0),
            new ChokeCandidate(4, false, 900, 0),
            new ChokeCandidate(5, true, 10, 0),
        };
        var unchoked = choker.Decide(peers, seeding: false, TimeSpan.Zero);
        Assert.Contains(2, unchoked);
        Assert.Contains(3, unchoked);
        Assert.DoesNotContain(4, unchoked);
        Assert.Equal(3, unchoked.Count);
        Assert.Contains(choker.Optimistic!.Value, new[] { 1, 5 });
    }

    [Fact]
    public void The_optimistic_slot_stays_for_its_interval_then_moves()
    {
        var peers = Enumerable.Range(1, 12).Select(i => new ChokeCandidate(i, true, 0, 0)).ToArray();
        var choker = new Choker(1, TimeSpan.FromSeconds(30), new Random(3));
        choker.Decide(peers, seeding: false, TimeSpan.Zero);
        var first = choker.Optimistic;
        choker.Decide(peers, seeding: false, TimeSpan.FromSeconds(10));
        Assert.Equal(first, choker.Optimistic);
        var seen = new HashSet<int?>();
        for (var t = 1; t <= 10; t++)
        {
            choker.Decide(peers, seeding: false, TimeSpan.FromSeconds(30 * t + 1));
            seen.Add(choker.Optimistic);
        }

        Assert.True(seen.Count > 1);
    }

    [Fact]
    public void Seeding_unchokes_by_upload_rate_and_rotates_equal_peers()
    {
        var choker = new Choker(1, TimeSpan.FromHours(1), new Random(1));
        var fast = new[] { new ChokeCandidate(1, true, 0, 50), new ChokeCandidate(2, true, 0, 900) };
        Assert.Contains(2, choker.Decide(fast, seeding: true, TimeSpan.Zero));

        var equal = Enumerable.Range(1, 4).Select(i => new ChokeCandidate(i, true, 0, 0)).ToArray();
        var regular = new HashSet<int>();
        for (var i = 0; i < 8; i++)
        {
            var set = choker.Decide(equal, seeding: true, TimeSpan.Zero).ToHashSet();
            set.Remove(choker.Optimistic ?? -1);
            regular.UnionWith(set);
        }

        Assert.True(regular.Count > 1);
    }
}
