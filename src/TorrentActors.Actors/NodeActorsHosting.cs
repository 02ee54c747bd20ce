using System.Net;
using System.Net.Http;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TorrentActors.Actors.Cluster;
using TorrentActors.Client;
using TorrentActors.Actors.Fetching;
using TorrentActors.Actors.Input;
using TorrentActors.Actors.Lifetime;
using TorrentActors.Actors.Making;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Parsing;
using TorrentActors.Actors.Patrons;
using TorrentActors.Actors.Registry;
using TorrentActors.Actors.Writing;

namespace TorrentActors.Actors;

/// <summary>
/// The node's wiring: the services the actors resolve, and the actors in dependency order. The actor system is named
/// <see cref="Contracts.Remote.RemoteProtocol.SystemName"/>, which is part of the node's address.
/// </summary>
public static class NodeActorsHosting
{
    /// <summary>
    /// Registers what the actors resolve: settings, stdin/stdout, and the HTTP client for the fetcher.
    /// The host registers the <see cref="TorrentActors.Engine.Client.ITorrentEngine"/> itself (one place builds it).
    /// </summary>
    public static IServiceCollection AddNodeActorServices(this IServiceCollection services, NodeActorSettings settings, TextReader stdin, TextWriter stdout) =>
        services.AddNodeActorServices(_ => settings, stdin, stdout);

    /// <summary>
    /// As above, with the settings made when first resolved, which is when the actors start: after the hosted
    /// services registered before the actor system (the embedded tracker whose URL they carry).
    /// </summary>
    public static IServiceCollection AddNodeActorServices(this IServiceCollection services, Func<IServiceProvider, NodeActorSettings> settings, TextReader stdin, TextWriter stdout)
    {
        services.AddSingleton(settings);
        services.AddSingleton(new StdinSource(stdin));
        services.AddSingleton(new StdoutTarget(stdout));
        services.AddSingleton(new NodeFailure());
        services.AddHttpClient(TorrentFetching.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(provider =>
            {
                var resolved = provider.GetRequiredService<NodeActorSettings>();
                return new SocketsHttpHandler
                {
                    AllowAutoRedirect = true,
                    MaxAutomaticRedirections = resolved.MaxHttpRedirects,
                    ConnectTimeout = resolved.HttpTimeout,
                    UseProxy = false,
                    AutomaticDecompression = DecompressionMethods.None,
                };
            });
        return services;
    }

    /// <summary>
    /// Akka logs through Microsoft.Extensions.Logging (the host sends it to stderr) with <see cref="AkkaLogBridge"/>,
    /// events at <paramref name="minimum"/> and above; nothing reaches stdout.
    /// </summary>
    public static AkkaConfigurationBuilder AddNodeLogging(this AkkaConfigurationBuilder builder, LogLevel minimum = LogLevel.Information) =>
        builder
            .AddHocon("akka.stdout-loglevel = OFF\nakka.log-dead-letters-during-shutdown = off", HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = AkkaLogBridge.ToAkkaLevel(minimum);
                loggers.ClearLoggers();
                loggers.AddLogger<AkkaLogBridge>();
            });

    /// <summary>
    /// The resolution of Akka's scheduler (its timers, ask timeouts and cluster heartbeats fire on these ticks). Akka's
    /// default of 10 ms wakes a thread of an idle node 100 times a second, which cost an idle node with no torrents
    /// about 3% of a core here; the node's own timers are a second or more and its shortest Akka intervals 200 ms.
    /// </summary>
    public static readonly TimeSpan SchedulerTick = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Every actor of the node (stdout, lifetime, monitor, patrons, writer, maker, fetchers, parser, stdin bridge), each
    /// through its own <c>AddXActor</c>, and the registry's store: the SQLite file <paramref name="stateDatabasePath"/>,
    /// or memory when null. With <paramref name="cluster"/> the node is a cluster member (<see cref="ClusterHosting.AddClusterMembership"/>,
    /// which needs remoting) and its <see cref="TorrentIntake"/> goes through the cluster's catalog; without it, the
    /// intake is the patrons, as on any single node.
    /// </summary>
    public static AkkaConfigurationBuilder AddNodeActors(
        this AkkaConfigurationBuilder builder, LogLevel minimumLogLevel = LogLevel.Information, string? stateDatabasePath = null, ClusterMembership? cluster = null)
    {
        builder
            .AddNodeLogging(minimumLogLevel)
            .AddHocon($"akka.scheduler.tick-duration = {(int)SchedulerTick.TotalMilliseconds}ms", HoconAddMode.Prepend)
            .AddRegistryPersistence(stateDatabasePath)
            .AddStdoutActor()
            .AddLifetimeActor()
            .AddMonitorActor()
            .AddPatronsActor(answers: cluster is null);
        var intake = cluster is null ? builder.AddLocalTorrentIntake() : builder.AddClusterMembership(cluster);
        return intake
            .AddTorrentWriterActor()
            .AddMakerActor()
            .AddHttpFetcherActor()
            .AddFileFetcherActor()
            .AddParserActor()
            .AddStdinBridgeActor();
    }
}
