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
