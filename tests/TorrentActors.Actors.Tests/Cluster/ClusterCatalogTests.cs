using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Registry;
using TorrentActors.Actors.Tests.Support;
using Xunit;

namespace TorrentActors.Actors.Tests.Cluster;

/// <summary>Several cluster members in one process, each its own actor system on 127.0.0.1 port 0 with strict serialization.</summary>
public sealed class ClusterCatalogTests
{
    private static readonly TimeSpan Formed = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Line = TimeSpan.FromSeconds(20);

    private static string WriteTorrent(ClusterTestNode node, string name)
    {
        var torrent = TestTorrents.Make(name, salt: name);
        File.WriteAllBytes(Path.Combine(node.Root, "torrents", name + ".torrent"), torrent.EncodedBytes.ToArray());
        return name + ".torrent";
    }

    [Fact]
    public async Task The_catalog_written_on_one_member_reaches_the_others_and_its_IDs_continue_after_the_keepers_node_leaves()
    {
        using var temp = new TempFolder("ta-cluster-");
        await using var n1 = await ClusterTestNode.StartAsync(Path.Combine(temp.Path, "n1"), "n1");
        await using var n2 = await ClusterTestNode.StartAsync(Path.Combine(temp.Path, "n2"), "n2", n1.Address);
        await using var n3 = await ClusterTestNode.StartAsync(Path.Combine(temp.Path, "n3"), "n3", n1.Address);
        await n3.WaitForMembersUpAsync(3, Formed);
        // Each member remembers the others in its state database (to wait for them after a restart of the cluster).
        await ClusterTestNode.WaitUntilAsync(() => new CatalogStore(n1.DatabasePath, null).LoadMembers().SequenceEqual(["n2", "n3"]), Line);
        await ClusterTestNode.WaitUntilAsync(() => new CatalogStore(n3.DatabasePath, null).LoadMembers().SequenceEqual(["n1", "n2"]), Line);

        await File.WriteAllBytesAsync(Path.Combine(n1.Root, "data", "a.bin"), new byte[50_000]);
        await n1.SendAsync("file:a.bin");
        Assert.Equal("1:a.bin:-1", await n1.Stdout.WaitForAsync(line => line.StartsWith("1:", StringComparison.Ordinal), Line));
        await n3.SendAsync("torrent:" + WriteTorrent(n3, "b.bin"));
        Assert.Equal("2:b.bin:-1", await n3.Stdout.NextAsync(Line));

        var seen = await n2.WaitForCatalogAsync(catalog => catalog.Count == 2, Line);
        var a = seen.Values.Single(e => e.Name == "a.bin");
        var b = seen.Values.Single(e => e.Name == "b.bin");
        Assert.Equal((1, "n1", "n1", ReplicaGoal.Running), (a.Id, a.AddedBy, a.SeededInPlaceBy, a.Goal));
        Assert.Equal((2, "n3", (string?)null, 2), (b.Id, b.AddedBy, b.SeededInPlaceBy, b.Replicas));

        // n1, the oldest, holds the keeper; it leaves and the keeper moves on, knowing the IDs given so far.
        await n1.StopAsync();
        await n2.WaitForMembersUpAsync(2, Formed);
        await n2.SendAsync("torrent:" + WriteTorrent(n2, "c.bin"));
        // (n2 may now hold a.bin or b.bin for the cluster: their lines can come first.)
        Assert.Equal("3:c.bin:-1", await n2.Stdout.WaitForAsync(line => line.StartsWith("3:", StringComparison.Ordinal), TimeSpan.FromSeconds(30)));
        await n3.SendAsync("stop:1");
        var after = await n3.WaitForCatalogAsync(catalog => catalog.Count == 3 && catalog.Values.Any(e => e is { Id: 1, Goal: ReplicaGoal.Stopped }), Line);
        Assert.Equal([1, 2, 3], after.Values.Select(e => e.Id).Order());
        // The member that took the command answers it, once; the others only follow the catalog.
        Assert.Equal("1:a.bin:stopped", await n3.Stdout.WaitForAsync(line => line.EndsWith(":stopped", StringComparison.Ordinal), Line));
        await n3.SendAsync("start:1");
        Assert.Equal("1:a.bin:started", await n3.Stdout.WaitForAsync(line => line.EndsWith(":started", StringComparison.Ordinal), Line));
        while (n3.Stdout.TryRead(out var extra))
        {
            Assert.False(extra!.StartsWith("error:", StringComparison.Ordinal), $"n3 printed {extra}");
            Assert.False(extra.EndsWith(":stopped", StringComparison.Ordinal) || extra.EndsWith(":started", StringComparison.Ordinal), $"n3 answered twice: {extra}");
        }

        while (n2.Stdout.TryRead(out var other))
        {
            Assert.False(other!.EndsWith(":stopped", StringComparison.Ordinal) || other.EndsWith(":started", StringComparison.Ordinal), $"n2 answered a command it did not take: {other}");
        }
    }

    [Fact]
    public async Task An_old_copy_of_the_catalog_does_not_bring_back_a_removed_torrent_and_a_restarted_cluster_recovers_the_catalog()
    {
        using var temp = new TempFolder("ta-cluster-");
        var root1 = Path.Combine(temp.Path, "n1");
        var root2 = Path.Combine(temp.Path, "n2");
        var n1 = await ClusterTestNode.StartAsync(root1, "n1");
        try
        {
            await using (var n2 = await ClusterTestNode.StartAsync(root2, "n2", n1.Address))
            {
                await n2.WaitForMembersUpAsync(2, Formed);
                await n2.SendAsync("torrent:" + WriteTorrent(n2, "a.bin"));
                Assert.Equal("1:a.bin:-1", await n2.Stdout.NextAsync(Line));
                await n2.WaitForCatalogAsync(catalog => catalog.Count == 1, Line);
            }

            // n2 is gone with its copy (a.bin running); meanwhile the torrent is removed.
            await n1.WaitForMembersUpAsync(1, Formed);
            await n1.SendAsync("remove:1");
            await n1.WaitForCatalogAsync(catalog => catalog.Values.Single().Goal == ReplicaGoal.Removed, Line);

            await using (var back = await ClusterTestNode.StartAsync(root2, "n2", n1.Address))
            {
                await back.WaitForMembersUpAsync(2, Formed);
                var seen = await back.WaitForCatalogAsync(catalog => catalog.Count == 1 && catalog.Values.Single().Goal == ReplicaGoal.Removed, Line);
                Assert.Equal(1, seen.Values.Single().Id);

                // Give the returning copy every chance to spread: gossip runs each second.
                await Task.Delay(TimeSpan.FromSeconds(3));
                Assert.Equal(ReplicaGoal.Removed, (await n1.WaitForCatalogAsync(c => c.Count == 1, Line)).Values.Single().Goal);
                Assert.Equal(ReplicaGoal.Removed, (await back.WaitForCatalogAsync(c => c.Count == 1, Line)).Values.Single().Goal);
                await ClusterTestNode.WaitUntilAsync(() => new CatalogStore(back.DatabasePath, null).LoadEntries().SingleOrDefault()?.Goal == ReplicaGoal.Removed, Line);
            }
        }
        finally
        {
            await n1.StopAsync();
        }

        // The whole cluster stopped; one member started alone brings the catalog back from its state database.
        await using var again = await ClusterTestNode.StartAsync(root1, "n1");
        var recovered = await again.WaitForCatalogAsync(catalog => catalog.Count == 1, Line);
        Assert.Equal((1, ReplicaGoal.Removed), (recovered.Values.Single().Id, recovered.Values.Single().Goal));
        await again.SendAsync("torrent:" + WriteTorrent(again, "b.bin"));
        Assert.Equal("2:b.bin:-1", await again.Stdout.NextAsync(Line));
    }

    [Fact]
    public async Task Commands_on_a_member_whose_keeper_does_not_answer_are_errors_in_time()
    {
        using var temp = new TempFolder("ta-cluster-");
        var nowhere = new Akka.Actor.Address("akka.tcp", Contracts.Remote.RemoteProtocol.SystemName, "127.0.0.1", FreePort.Tcp());
        await using var lonely = await ClusterTestNode.StartAsync(
            Path.Combine(temp.Path, "n1"), "n1", nowhere, settings => settings with { AnswerTimeout = TimeSpan.FromSeconds(1) });

        await lonely.SendAsync("torrent:" + WriteTorrent(lonely, "a.bin"));
        await lonely.SendAsync("stop:1");

        // The torrent is read off the actor thread first, so either may come first.
        string[] lines = [await lonely.Stdout.NextAsync(Line), await lonely.Stdout.NextAsync(Line)];
        Assert.Equal(
            ["error: stop:1: the cluster did not answer in 1 s", "error: torrent:a.bin.torrent: the cluster did not answer in 1 s"],
            lines.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_cluster_s_and_the_catalog_s_messages_have_serializers_under_strict_serialization()
    {
        using var temp = new TempFolder("ta-cluster-");
        await using var node = await ClusterTestNode.StartAsync(Path.Combine(temp.Path, "n1"), "n1");
        await node.WaitForMembersUpAsync(1, Formed);
        var serialization = node.System.Serialization;
        var entry = new CatalogEntry(1, new string('a', 40), "a", 1, 2, "n1", null, ReplicaGoal.Running, 1);
        var catalog = Akka.DistributedData.LWWDictionary<string, CatalogEntry>.Empty.SetItem(node.Cluster, entry.InfoHash, entry, (_, e) => e.Version);

        Assert.IsType<ClusterSerializer>(serialization.FindSerializerFor(entry));
        Assert.IsNotType<TorrentActors.Client.RefusingSerializer>(serialization.FindSerializerFor(catalog));
        Assert.IsNotType<TorrentActors.Client.RefusingSerializer>(serialization.FindSerializerFor(entry.InfoHash));
        var serializer = serialization.FindSerializerFor(catalog);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, catalog);
        var back = (Akka.DistributedData.LWWDictionary<string, CatalogEntry>)serialization.Deserialize(serializer.ToBinary(catalog), serializer.Identifier, manifest);
        Assert.Equal(entry, back[entry.InfoHash]);
        Assert.Throws<System.Runtime.Serialization.SerializationException>(() => serialization.FindSerializerFor(new Holding(1, false, false)));
    }
}
