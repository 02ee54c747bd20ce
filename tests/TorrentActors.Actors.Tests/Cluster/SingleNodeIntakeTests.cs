using Akka.Actor;
using Akka.Hosting;
using TorrentActors.Actors.Patrons;
using TorrentActors.Actors.Tests.Remote;
using Xunit;

namespace TorrentActors.Actors.Tests.Cluster;

public sealed class SingleNodeIntakeTests
{
    [Fact]
    public async Task Without_a_cluster_the_intake_is_the_patrons_and_the_node_has_no_cluster_provider()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        var registry = ActorRegistry.For(node.System);

        Assert.Equal(registry.Get<PatronsActor>(), registry.Get<TorrentIntake>());
        Assert.IsType<Akka.Remote.RemoteActorRefProvider>(((ExtendedActorSystem)node.System).Provider);
    }

    [Fact]
    public async Task A_cluster_member_has_its_own_intake_and_the_cluster_provider()
    {
        using var temp = new TempFolder("ta-cluster-");
        await using var node = await ClusterTestNode.StartAsync(Path.Combine(temp.Path, "n1"), "n1");
        var registry = ActorRegistry.For(node.System);

        Assert.NotEqual(registry.Get<PatronsActor>(), registry.Get<TorrentIntake>());
        Assert.IsType<Akka.Cluster.ClusterActorRefProvider>(((ExtendedActorSystem)node.System).Provider);
        Assert.Contains(Actors.Cluster.ClusterKeys.NodeRolePrefix + "n1", node.Cluster.SelfRoles);
    }
}
