using System.Collections.Immutable;
using TorrentActors.Actors.Cluster;
using Xunit;

namespace TorrentActors.Actors.Tests.Cluster;

public class ReplicaPlanTests
{
    private const string Hash = "00112233445566778899aabbccddeeff00112233";

    private static readonly string[] Three = ["node-a", "node-b", "node-c"];

    private static CatalogEntry Entry(ReplicaGoal goal = ReplicaGoal.Running, string? origin = null, int replicas = 2) =>
        new(5, Hash, "data.bin", 1024, replicas, "node-a", origin, goal, Version: 3);

    private static Dictionary<string, MemberHoldings> Holdings(params (string Node, int Percent)[] copies) =>
        copies.ToDictionary(
            c => c.Node,
            c => new MemberHoldings(c.Node, "127.0.0.1", 6881, ImmutableSortedDictionary<string, Holding>.Empty.Add(Hash, new Holding(c.Percent, c.Percent == 100, OwnData: false))));

    private static LocalCopy Copy(bool clusterCopy = true, bool stopped = false, int percent = 100) =>
        new(5, Hash, OwnData: !clusterCopy, clusterCopy, stopped, percent, percent == 100);

    private static ImmutableArray<ReplicaAction> Decide(string self, CatalogEntry entry, IReadOnlyCollection<string> members, Dictionary<string, MemberHoldings> holdings, LocalCopy? copy = null) =>
        ReplicaPlan.Decide(self, [entry], members, holdings, copy is null ? new Dictionary<string, LocalCopy>() : new Dictionary<string, LocalCopy> { [Hash] = copy });

    [Fact]
    public void After_a_start_the_members_last_up_with_this_one_are_missing_until_they_are_up_or_the_wait_is_over()
    {
        var now = new DateTime(2026, 12, 2, 1, 0, 0, DateTimeKind.Utc);
        var deadline = now.AddSeconds(30);

        Assert.Equal(["node-b", "node-c"], ReplicaPlan.Missing(["node-c", "node-b"], ["node-a"], now, deadline).ToArray());
        Assert.Equal(["node-c"], ReplicaPlan.Missing(["node-c", "node-b"], ["node-a", "node-b"], now, deadline).ToArray());
        Assert.Empty(ReplicaPlan.Missing(["node-c", "node-b"], Three, now, deadline));
        Assert.Empty(ReplicaPlan.Missing(["node-c", "node-b"], ["node-a"], deadline, deadline));
        Assert.Empty(ReplicaPlan.Missing([], ["node-a"], now, deadline));
    }

    [Fact]
    public void The_node_seeding_the_users_file_is_a_holder_and_placement_picks_the_rest_among_the_others()
    {
        var holders = ReplicaPlan.Holders(Entry(origin: "node-c"), Three);

        Assert.Equal(2, holders.Length);
        Assert.Equal("node-c", holders[0]);
        Assert.Equal(Placement.Holders(Hash, ["node-a", "node-b"], 1)[0], holders[1]);
    }

    [Fact]
    public void Without_its_origin_up_a_torrent_is_placed_on_R_members_and_never_more_than_there_are()
    {
        Assert.Equal(Placement.Holders(Hash, ["node-a", "node-b"], 2).ToArray(), ReplicaPlan.Holders(Entry(origin: "node-c"), ["node-a", "node-b"]).ToArray());
        Assert.Equal(["node-a"], ReplicaPlan.Holders(Entry(replicas: 3), ["node-a"]).ToArray());
    }

    [Fact]
    public void A_holder_without_a_copy_fetches_it_and_a_member_that_is_not_a_holder_does_nothing()
    {
        var entry = Entry();
        var holders = ReplicaPlan.Holders(entry, Three);
        var outsider = Three.Single(n => !holders.Contains(n));

        var fetch = Assert.IsType<ReplicaAction.Fetch>(Assert.Single(Decide(holders[1], entry, Three, [])));
        Assert.Equal(entry, fetch.Entry);
        Assert.Empty(Decide(outsider, entry, Three, []));
    }

    [Fact]
    public void The_node_that_seeds_the_users_file_never_downloads_a_copy_of_its_own_torrent()
    {
        var entry = Entry(origin: "node-b");

        Assert.Contains("node-b", ReplicaPlan.Holders(entry, Three));
        Assert.Empty(Decide("node-b", entry, Three, []));
    }

    [Fact]
    public void A_stopped_torrent_is_not_fetched_by_a_new_holder_and_running_copies_stop()
    {
        var entry = Entry(ReplicaGoal.Stopped);
        var holder = ReplicaPlan.Holders(entry, Three)[0];

        Assert.Empty(Decide(holder, entry, Three, []));
        Assert.IsType<ReplicaAction.Stop>(Assert.Single(Decide(holder, entry, Three, [], Copy())));
        Assert.IsType<ReplicaAction.Start>(Assert.Single(Decide(holder, Entry(), Three, [], Copy(stopped: true))));
    }

    [Fact]
    public void A_member_no_longer_a_holder_keeps_its_copy_until_every_holder_is_complete_then_drops_it()
    {
        var entry = Entry();
        var holders = ReplicaPlan.Holders(entry, Three);
        var outsider = Three.Single(n => !holders.Contains(n));

        Assert.Empty(Decide(outsider, entry, Three, Holdings((outsider, 100), (holders[0], 100), (holders[1], 99)), Copy()));
        var drop = Assert.IsType<ReplicaAction.Drop>(Assert.Single(Decide(outsider, entry, Three, Holdings((outsider, 100), (holders[0], 100), (holders[1], 100)), Copy())));
        Assert.Equal(5, drop.Id);
    }

    [Fact]
    public void The_users_own_file_is_never_dropped_when_its_node_is_not_a_holder()
    {
        var entry = Entry();
        var holders = ReplicaPlan.Holders(entry, Three);
        var outsider = Three.Single(n => !holders.Contains(n));

        Assert.Empty(Decide(outsider, entry, Three, Holdings((holders[0], 100), (holders[1], 100)), Copy(clusterCopy: false)));
    }

    [Fact]
    public void A_torrent_removed_from_the_cluster_is_dropped_by_every_member_that_has_it_and_fetched_by_none()
    {
        var entry = Entry(ReplicaGoal.Removed);
        var holder = ReplicaPlan.Holders(Entry(), Three)[0];

        Assert.Empty(Decide(holder, entry, Three, []));
        Assert.IsType<ReplicaAction.Drop>(Assert.Single(Decide(holder, entry, Three, [], Copy(clusterCopy: false))));
    }

    [Fact]
    public void A_node_that_is_not_an_up_member_starts_and_drops_nothing()
    {
        var entry = Entry();
        Assert.Empty(Decide("node-z", entry, Three, Holdings(("node-a", 100), ("node-b", 100), ("node-c", 100)), Copy()));
    }

    [Fact]
    public void The_view_counts_complete_copies_on_up_members_only_against_the_target()
    {
        var entry = Entry();
        var holdings = Holdings(("node-a", 100), ("node-b", 40), ("node-gone", 100));

        var view = ReplicaPlan.View(entry, Three, holdings);
        Assert.Equal(2, view.Target);
        Assert.Equal(["node-a", "node-b"], view.Copies.Keys);
        Assert.Equal(1, view.Complete);
        Assert.False(view.AtTarget);
        Assert.True(ReplicaPlan.View(entry, Three, Holdings(("node-a", 100), ("node-c", 100))).AtTarget);
    }
}

public class ReplicaHandoffTests
{
    private const string Hash = "00112233445566778899aabbccddeeff00112233";

    private static readonly CatalogEntry Entry = new(5, Hash, "data.bin", 1024, 2, "node-a", null, ReplicaGoal.Running, 3);

    private static MemberHoldings Held(string node, int percent, bool draining = false) =>
        new(node, "127.0.0.1", 6881, ImmutableSortedDictionary<string, Holding>.Empty.Add(Hash, new Holding(percent, percent == 100, false)), draining);

    [Fact]
    public void A_draining_member_is_left_out_of_placement_but_its_copy_still_counts()
    {
        var holdings = new Dictionary<string, MemberHoldings> { ["node-a"] = Held("node-a", 100, draining: true), ["node-b"] = Held("node-b", 100) };
        var members = ReplicaPlan.PlacementMembers(["node-a", "node-b", "node-c"], holdings);

        Assert.Equal(["node-b", "node-c"], members.Order());
        var view = ReplicaPlan.View(Entry, members, holdings, present: ["node-a", "node-b", "node-c"]);
        Assert.Equal(["node-b", "node-c"], view.Holders.Order());
        Assert.True(view.AtTarget);
    }

    [Fact]
    public void A_draining_member_has_handed_off_once_the_others_hold_its_complete_torrents_at_target()
    {
        var local = new Dictionary<string, LocalCopy> { [Hash] = new(5, Hash, false, true, false, 100, true) };
        var members = new[] { "node-b", "node-c" };
        var holdings = new Dictionary<string, MemberHoldings> { ["node-b"] = Held("node-b", 100), ["node-c"] = Held("node-c", 60) };

        Assert.False(ReplicaPlan.HandedOff("node-a", [Entry], members, holdings, local));
        holdings["node-c"] = Held("node-c", 100);
        Assert.True(ReplicaPlan.HandedOff("node-a", [Entry], members, holdings, local));
        Assert.True(ReplicaPlan.HandedOff("node-a", [Entry], [], holdings, local));
    }
}

public class ReplicaViewTests
{
    [Fact]
    public void Two_views_of_the_same_standing_are_equal_so_an_unchanged_cluster_sends_no_update()
    {
        const string hash = "00112233445566778899aabbccddeeff00112233";
        var entry = new CatalogEntry(1, hash, "a", 1, 2, "n1", null, ReplicaGoal.Running, 1);
        Dictionary<string, MemberHoldings> Holdings() => new()
        {
            ["n1"] = new("n1", "127.0.0.1", 1, ImmutableSortedDictionary<string, Holding>.Empty.Add(hash, new Holding(100, true, false))),
        };

        Assert.Equal(ReplicaPlan.View(entry, ["n1", "n2"], Holdings()), ReplicaPlan.View(entry, ["n2", "n1"], Holdings()));
        Assert.NotEqual(ReplicaPlan.View(entry, ["n1", "n2"], Holdings()), ReplicaPlan.View(entry, ["n1", "n3"], Holdings()));
    }
}
