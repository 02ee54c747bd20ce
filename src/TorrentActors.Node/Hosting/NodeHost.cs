using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TorrentActors.Actors;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Registry;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts.Remote;
using TorrentActors.Engine.Client;
using TorrentActors.Tracker;

namespace TorrentActors.Node.Hosting;

/// <summary>
/// The node's composition root: the one method that builds the node's host from its settings, for <c>run</c> and
/// for tests alike. Logging to stderr one line per event; the engine, the embedded tracker and the actor system as
/// hosted services, started in that order and stopped in the reverse; the actors through their <c>AddXActor</c>
/// wiring; remote control unless <see cref="NodeSettings.NoRemote"/>.
/// </summary>
internal static class NodeHost
{
    /// <summary>
    /// Builds (does not start) the host, holding the state folder's lock from now until the host is disposed (a
    /// <see cref="StateFolderException"/> when another node holds it or its database cannot be read). <paramref name="settings"/> must be valid (<see cref="NodeSettings.Validate"/>);
    /// <paramref name="configuration"/> gives the <c>Logging</c> section; stdout is the protocol's alone.
    /// </summary>
    public static IHost Build(NodeSettings settings, IConfiguration configuration, TextReader stdin, TextWriter stdout)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "torrentactors",
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Logging.AddNodeConsole(settings.LogLevel, configuration.GetSection("Logging"));
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        var stopTimeout = settings.ToActorSettings(null).StopTimeout;
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = stopTimeout + TimeSpan.FromSeconds(10));

        builder.Services.AddSingleton(settings);
        var state = StateFolder.Open(settings.StateDirectory);
        // Made by a factory and resolved below, so the container owns it: disposing the host lets go of the lock.
        builder.Services.AddSingleton(_ => state);
        builder.Services.AddSingleton(services => new ResumeStore(state.DatabasePath, services.GetService<ILoggerFactory>()?.CreateLogger<ResumeStore>()));
        builder.Services.AddSingleton(settings.ToEngineSettings());
        builder.Services.AddSingleton<ITorrentEngine>(EngineFactory.Create);
        builder.Services.AddHostedService<EngineService>();

        var trackerOptions = settings.ToTrackerOptions();
        if (trackerOptions is not null)
        {
            builder.Services.AddSingleton(trackerOptions);
            builder.Services.AddSingleton(services => new TrackerPeerHandoff(services.GetRequiredService<ITorrentEngine>(),
                services.GetRequiredService<EngineSettings>().AnnouncedPort, TimeProvider.System));
            builder.Services.AddSingleton<EmbeddedTrackerService>();
            builder.Services.AddHostedService(services => services.GetRequiredService<EmbeddedTrackerService>());
        }

        builder.Services.AddNodeActorServices(services => settings.ToActorSettings(AnnounceUrl(settings, services)), settings.NoStdin ? TextReader.Null : stdin, stdout);
        var remote = settings.ToRemoteSettings();
        if (remote is not null)
        {
            builder.Services.AddSingleton(remote);
        }

        ClusterMembership? cluster = null;
        if (settings.Cluster.Enabled)
        {
            cluster = new ClusterMembership(settings.Cluster, settings.Cluster.NodeName ?? NodeNameOf(state), state.DatabasePath);
            builder.Services.AddSingleton(cluster);
        }

        builder.Services.AddAkka(RemoteProtocol.SystemName, akka =>
        {
            akka.AddNodeActors(settings.LogLevel, state.DatabasePath, cluster);
            if (remote is not null)
            {
                akka.AddRemoteGateway().WithTorrentRemoting(remote);
            }
        });
        try
        {
            var host = builder.Build();
            host.Services.GetRequiredService<StateFolder>();
            return host;
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    private static string NodeNameOf(StateFolder state)
    {
        try
        {
            return state.NodeName();
        }
        catch
        {
            state.Dispose();
            throw;
        }
    }

    /// <summary>The URL made torrents announce to: the external tracker, the embedded one (once started), or none.</summary>
    public static string? AnnounceUrl(NodeSettings settings, IServiceProvider services) =>
        settings.Tracker ?? services.GetService<EmbeddedTrackerService>()?.AnnounceUri.ToString();
}
