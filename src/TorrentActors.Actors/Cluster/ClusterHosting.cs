using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Hosting;
using Akka.Cluster.Hosting.SBR;
using Akka.DistributedData;
using Akka.Hosting;
using Microsoft.Extensions.Logging;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Patrons;
using TorrentActors.Actors.Registry;

namespace TorrentActors.Actors.Cluster;

/// <summary>
/// Makes the node a cluster member on its remoting endpoint: Akka.Cluster with the node's name as its role
/// (<see cref="ClusterKeys.NodeRolePrefix"/>), the seed nodes or else a cluster of one, the split-brain resolver
/// (keep-majority, <c>stable-after</c> = <see cref="ClusterSettings.DownAfter"/>), distributed data on every member,
/// the cluster messages bound to <see cref="ClusterSerializer"/>, and the catalog: its durability on this member, its
/// keeper (a singleton, its proxy registered as <see cref="CatalogKeeper"/>) and the member's
/// <see cref="TorrentIntake"/>. Add it after the patrons and before the actors that send to the intake; remoting
/// (<c>WithTorrentRemoting</c>) is required.
/// </summary>
public static class ClusterHosting
{
    public const string KeeperName = "catalog-keeper";

    /// <summary>The failure detector's heartbeat; with the pause below a dead member is unreachable within about 4 s.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan AcceptableHeartbeatPause = TimeSpan.FromSeconds(3);

    public static AkkaConfigurationBuilder AddClusterMembership(this AkkaConfigurationBuilder builder, ClusterMembership membership)
    {
        var settings = membership.Settings;
        var seconds = (TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return builder
            .WithClustering(new ClusterOptions
            {
                SeedNodes = settings.SeedNodes,
                SplitBrainResolver = new KeepMajorityOption(),
            })
            // The role goes in here, quoted: the hosting options write roles unquoted, and the role holds a ':'.
            .AddHocon(
                $"""
                akka.cluster.roles = ["{ClusterKeys.NodeRolePrefix}{membership.NodeName}"]
                akka.cluster.split-brain-resolver.stable-after = {seconds(settings.DownAfter)}
                akka.cluster.failure-detector.heartbeat-interval = {seconds(HeartbeatInterval)}
                akka.cluster.failure-detector.acceptable-heartbeat-pause = {seconds(AcceptableHeartbeatPause)}
                akka.cluster.distributed-data.role = ""
                akka.cluster.distributed-data.gossip-interval = 1s
                akka.cluster.distributed-data.notify-subscribers-interval = 200ms
                akka.cluster.singleton.hand-over-retry-interval = 500ms
                akka.cluster.singleton-proxy.singleton-identification-interval = 500ms
                """,
                HoconAddMode.Prepend)
            .WithCustomSerializer(ClusterSerializer.SerializerName, [typeof(IClusterMessage)], system => new ClusterSerializer(system))
            .WithActors((system, registry) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                if (settings.SeedNodes.Length == 0)
                {
                    cluster.Join(cluster.SelfAddress);
                }

                var replicator = DistributedData.Get(system).Replicator;
                registry.Register<CatalogDurabilityActor>(system.ActorOf(CatalogDurabilityActor.Props(StoreOf(membership, system), replicator), "catalog-durability"));
            })
            .WithSingleton<CatalogKeeper>(
                KeeperName,
                (system, _, _) => CatalogKeeperActor.Props(settings, DistributedData.Get(system).Replicator, StoreOf(membership, system)),
                new ClusterSingletonOptions(),
                createProxyToo: true)
            .WithActors((system, registry) =>
            {
                var intake = ClusterIntakeActor.Props(membership, registry.Get<CatalogKeeper>(), registry.Get<PatronsActor>(), registry.Get<MonitorActor>());
                registry.Register<TorrentIntake>(system.ActorOf(intake, "intake"));
            })
            .AddReplicaActor(membership.NodeName, regroupTimeout: settings.RegroupTimeout, store: system => StoreOf(membership, system));
    }

    /// <summary>The member's copy of the catalog in its state database; its warnings go to the actor system's log.</summary>
    private static CatalogStore StoreOf(ClusterMembership membership, ActorSystem system) =>
        new(membership.DatabasePath, system.GetExtension<Akka.DependencyInjection.DependencyResolver>()?.Resolver.GetService<ILoggerFactory>()?.CreateLogger<CatalogStore>());
}
