using System.CommandLine;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using TorrentActors.Actors.Cluster;
using TorrentActors.Node.Hosting;

namespace TorrentActors.Node.Commands;

/// <summary>The cluster flags of <c>run</c> (section <c>Cluster</c>): membership, seed nodes, the replica target and the node's name.</summary>
internal sealed class ClusterRunOptions
{
    public Option<bool> Cluster { get; } = new("--cluster") { Description = "Be a member of a cluster of nodes (over the remote-control endpoint)" };

    public Option<string[]> SeedNodes { get; } = new("--seed-node")
    {
        Description = "A member to join through, akka.tcp://torrentactors@HOST:PORT (repeatable); none: form a cluster of one",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<int> Replicas { get; } = new("--replicas") { Description = $"How many members hold each torrent (default {ClusterSettings.DefaultReplicas})" };

    public Option<string> NodeName { get; } = new("--node-name") { Description = "This node's name in the cluster (default: one generated once and kept in the state folder)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Cluster, SeedNodes, Replicas, NodeName })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Applies the flags actually given onto <paramref name="settings"/> (they win over config and environment).</summary>
    public void Apply(ParseResult result, NodeSettings settings)
    {
        var cluster = settings.Cluster;
        settings.Cluster = cluster with
        {
            Enabled = Given(result, Cluster) ? result.GetValue(Cluster) : cluster.Enabled,
            SeedNodes = Given(result, SeedNodes) ? result.GetValue(SeedNodes) ?? [] : cluster.SeedNodes,
            Replicas = Given(result, Replicas) ? result.GetValue(Replicas) : cluster.Replicas,
            NodeName = Given(result, NodeName) ? result.GetValue(NodeName) : cluster.NodeName,
        };
    }

    /// <summary>Why the cluster settings cannot be used with the rest, or null.</summary>
    public static string? Check(NodeSettings settings) =>
        settings.Cluster.Enabled && settings.NoRemote
            ? "--cluster needs the remote-control endpoint (the cluster rides on it); drop --no-remote"
            : null;

    /// <summary>Writes the node's name, address and seeds on stderr.</summary>
    public static async Task AnnounceAsync(IServiceProvider services, TextWriter stderr)
    {
        if (services.GetService<ClusterMembership>() is { } membership && services.GetService<ActorSystem>() is ExtendedActorSystem system)
        {
            var seeds = membership.Settings.SeedNodes.Length == 0 ? "none (a cluster of one, until others join)" : string.Join(", ", membership.Settings.SeedNodes);
            await stderr.WriteLineAsync($"torrentactors: cluster member {membership.NodeName} at {system.Provider.DefaultAddress}, seeds {seeds}");
        }
    }

    private static bool Given<T>(ParseResult result, Option<T> option) => result.GetResult(option) is { Implicit: false };
}
