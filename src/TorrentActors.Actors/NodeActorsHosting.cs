using System.Net;
using System.Net.Http;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using TorrentActors.Actors.Fetching;
using TorrentActors.Actors.Input;
using TorrentActors.Actors.Lifetime;
using TorrentActors.Actors.Making;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Parsing;
using TorrentActors.Actors.Patrons;
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
    public static IServiceCollection AddNodeActorServices(this IServiceCollection services, NodeActorSettings settings, TextReader stdin, TextWriter stdout)
    {
        services.AddSingleton(settings);
        services.AddSingleton(new StdinSource(stdin));
        services.AddSingleton(new StdoutTarget(stdout));
        services.AddHttpClient(TorrentFetching.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                AllowAutoRedirect = true,
                MaxAutomaticRedirections = settings.MaxHttpRedirects,
                ConnectTimeout = settings.HttpTimeout,
                UseProxy = false,
                AutomaticDecompression = DecompressionMethods.None,
            });
        return services;
    }

    /// <summary>Akka logs through Microsoft.Extensions.Logging (the host sends it to stderr); nothing reaches stdout.</summary>
    public static AkkaConfigurationBuilder AddNodeLogging(this AkkaConfigurationBuilder builder) =>
        builder
            .AddHocon("akka.stdout-loglevel = OFF\nakka.log-dead-letters-during-shutdown = off", HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                loggers.LogLevel = Akka.Event.LogLevel.InfoLevel;
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            });

    /// <summary>Every actor of the recipe's graph, each through its own <c>AddXActor</c>.</summary>
    public static AkkaConfigurationBuilder AddNodeActors(this AkkaConfigurationBuilder builder) =>
        builder
            .AddNodeLogging()
            .AddStdoutActor()
            .AddLifetimeActor()
            .AddMonitorActor()
            .AddPatronsActor()
            .AddTorrentWriterActor()
            .AddMakerActor()
            .AddHttpFetcherActor()
            .AddFileFetcherActor()
            .AddParserActor()
            .AddStdinBridgeActor();
}
