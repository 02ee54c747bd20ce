using Akka.Actor;
using Akka.Cluster;
using Akka.Remote;
using Akka.Remote.Transport;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Patrons;
using TorrentActors.Actors.Tests.Support;
using Xunit;

namespace TorrentActors.Actors.Tests.Cluster;

/// <summary>
/// A partition of three members in one process: the throttling transport adapter blackholes all traffic between one
/// member and the other two. The keep-majority resolver downs the minority (whose actor system then stops), the
/// majority carries on with its catalog, and nothing is deleted on the majority side.
/// </summary>
public sealed class ClusterPartitionTests
{
    private const string Throttled = "akka.remote.dot-netty.tcp.applied-adapters = [trttl]";

    private static readonly TimeSpan Formed = TimeSpan.FromSeconds(30);

    private static async Task BlackholeAsync(ClusterTestNode from, ClusterTestNode to)
    {
        var transport = ((IRemoteActorRefProvider)((ExtendedActorSystem)from.System).Provider).Transport;
        Assert.True(await transport.ManagementCommand(new SetThrottle(to.Address, ThrottleTransportAdapter.Direction.Both, Blackhole.Instance)));
    }

    [Fact]
    public async Task The_resolver_downs_the_minority_of_a_partition_and_the_majority_keeps_its_torrents_and_their_data()
    {
        using var temp = new TempFolder("ta-partition-");
        await using var n1 = await ClusterTestNode.StartAsync(Path.Combine(temp.Path, "n1"), "n1", hocon: Throttled);
        await using var n2 = await ClusterTestNode.StartAsync(Path.Combine(temp.Path, "n2"), "n2", n1.Address, hocon: Throttled);
        await using var n3 = await ClusterTestNode.StartAsync(Path.Combine(temp.Path, "n3"), "n3", n1.Address, hocon: Throttled);
        await n1.WaitForMembersUpAsync(3, Formed);
        await n3.WaitForMembersUpAsync(3, Formed);

        var data = Path.Combine(n1.Root, "data", "kept.bin");
        await File.WriteAllBytesAsync(data, new byte[40_000]);
        await n1.SendAsync("file:kept.bin");
        await n1.Stdout.WaitForAsync(line => line == "1:kept.bin:100", Formed);
        await n2.WaitForCatalogAsync(catalog => catalog.Count == 1, Formed);

        await BlackholeAsync(n1, n3);
        await BlackholeAsync(n2, n3);
        await BlackholeAsync(n3, n1);
        await BlackholeAsync(n3, n2);

        // The majority removes n3; n3, alone, is downed by its own resolver and its actor system stops.
        await ClusterTestNode.WaitUntilAsync(
            () => n1.Cluster.State.Members.Count == 2 && n2.Cluster.State.Members.Count == 2 && n1.Cluster.State.Members.All(m => m.Status == MemberStatus.Up),
            TimeSpan.FromSeconds(60));
        await n3.System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(60));

        // The majority still has the torrent in its catalog, running, the user's file, and its copies.
        var catalog = await n2.WaitForCatalogAsync(c => c.Count == 1, Formed);
        Assert.Equal(ReplicaGoal.Running, Assert.Single(catalog.Values).Goal);
        Assert.True(File.Exists(data));
        var listed = await n1.System.ActorSelection("/user/patrons").Ask<CopiesListed>(ListCopies.Instance, Formed);
        Assert.Equal(1, Assert.Single(listed.Entries).Id);

        // n2 now holds the torrent (placement among n1 and n2 gives it both) and keeps it.
        await ClusterTestNode.WaitUntilAsync(
            () => n2.System.ActorSelection("/user/patrons").Ask<CopiesListed>(ListCopies.Instance, Formed).Result.Entries.Length == 1,
            Formed);
    }
}
