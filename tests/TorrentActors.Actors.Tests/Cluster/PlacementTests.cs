using System.Globalization;
using System.Security.Cryptography;
using TorrentActors.Actors.Cluster;
using Xunit;
using Xunit.Abstractions;

namespace TorrentActors.Actors.Tests.Cluster;

/// <summary>A deterministic simulation of placement (no network): 100 members, 10,000 torrents, R = 2.</summary>
public class PlacementTests(ITestOutputHelper output)
{
    private const int Members = 100;
    private const int Torrents = 10_000;
    private const int Replicas = 2;

    private static readonly string[] Hashes = [.. Enumerable.Range(0, Torrents).Select(i => Convert.ToHexString(SHA1.HashData(BitConverter.GetBytes(i))))];

    private static List<string> Nodes(int count, int first = 0) =>
        [.. Enumerable.Range(first, count).Select(i => "node-" + i.ToString("x8", CultureInfo.InvariantCulture))];

    private static Dictionary<string, string[]> Place(IReadOnlyCollection<string> nodes) =>
        Hashes.ToDictionary(hash => hash, hash => Placement.Holders(hash, nodes, Replicas).ToArray());

    /// <summary>The share of torrents whose holder set changed between two placements.</summary>
    private static double MovedShare(Dictionary<string, string[]> before, Dictionary<string, string[]> after) =>
        (double)Hashes.Count(hash => !before[hash].ToHashSet().SetEquals(after[hash])) / Torrents;

    [Fact]
    public void Every_member_computes_the_same_R_distinct_holders_whatever_the_order_it_lists_the_members_in()
    {
        var nodes = Nodes(Members);
        var shuffled = nodes.OrderBy(n => Placement.Score([1, 2, 3], n)).ToList();

        foreach (var hash in Hashes.Take(500))
        {
            var holders = Placement.Holders(hash, nodes, Replicas);
            Assert.Equal(Replicas, holders.Distinct().Count());
            Assert.Equal(holders.ToArray(), Placement.Holders(hash, shuffled, Replicas).ToArray());
        }
    }

    [Fact]
    public void The_holders_are_at_most_the_members_there_are()
    {
        var hash = Hashes[0];
        Assert.Empty(Placement.Holders(hash, [], 2));
        Assert.Equal(["only"], Placement.Holders(hash, ["only"], 2).ToArray());
        Assert.Equal(3, Placement.Holders(hash, ["a", "b", "c"], 5).Length);
    }

    [Fact]
    public void The_most_loaded_member_holds_at_most_a_quarter_more_than_the_mean()
    {
        var placed = Place(Nodes(Members));
        var load = placed.Values.SelectMany(holders => holders).CountBy(node => node).ToDictionary();
        var mean = (double)Torrents * Replicas / Members;
        var max = load.Values.Max();

        output.WriteLine($"mean {mean}, most loaded {max} ({max / mean:F3}×), least loaded {load.Values.Min()}");
        Assert.Equal(Members, load.Count);
        Assert.True(max <= 1.25 * mean, $"most loaded member holds {max}, {max / mean:F3}× the mean {mean}");
    }

    [Fact]
    public void When_a_member_joins_at_most_1_2_times_the_ideal_share_of_torrents_moves_and_only_to_the_new_member()
    {
        var nodes = Nodes(Members);
        var before = Place(nodes);
        var joined = Nodes(Members + 1);
        var after = Place(joined);

        var moved = MovedShare(before, after);
        var ideal = (double)Replicas / (Members + 1);
        output.WriteLine($"join: moved {moved:P2}, ideal R/N {ideal:P2} ({moved / ideal:F3}×)");
        Assert.True(moved <= 1.2 * ideal, $"moved {moved:P2}, ideal {ideal:P2}");

        var newcomer = joined[^1];
        foreach (var hash in Hashes)
        {
            var gained = after[hash].Except(before[hash]).ToList();
            Assert.True(gained.Count == 0 || gained.SequenceEqual([newcomer]), $"{hash} moved to {string.Join(",", gained)}");
        }
    }

    [Fact]
    public void When_a_member_leaves_only_its_torrents_move_at_most_1_2_times_the_ideal_share()
    {
        var nodes = Nodes(Members);
        var before = Place(nodes);
        var leaver = nodes[37];
        var after = Place(nodes.Where(n => n != leaver).ToList());

        var moved = MovedShare(before, after);
        var ideal = (double)Replicas / Members;
        output.WriteLine($"leave: moved {moved:P2}, ideal R/N {ideal:P2} ({moved / ideal:F3}×)");
        Assert.True(moved <= 1.2 * ideal, $"moved {moved:P2}, ideal {ideal:P2}");
        Assert.All(Hashes, hash => Assert.Equal(before[hash].Contains(leaver), !before[hash].ToHashSet().SetEquals(after[hash])));
    }
}
