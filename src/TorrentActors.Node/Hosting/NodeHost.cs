using Akka.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TorrentActors.Actors;
using TorrentActors.Actors.Remote;
using TorrentActors.Contracts.Remote;
using TorrentActors.Engine.Client;

namespace TorrentActors.Node.Hosting;

/// <summary>Builds the node's host: logging to stderr, the engine, and the actors through their <c>AddXActor</c> wiring.</summary>
internal static class NodeHost
{
    public static IHost Build(NodeSettings settings, NodeActorSettings actorSettings, IConfiguration configuration, TextReader stdin, TextWriter stdout, RemoteSettings? remote = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "torrentactors",
            ContentRootPath = AppContext.BaseDirectory,
        });

        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        builder.Logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        });
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(
            options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.Configure<ConsoleLifetimeOptions>(options => options.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = actorSettings.StopTimeout + TimeSpan.FromSeconds(10));

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ITorrentEngine>(services => EngineFactory.Create(settings, services));
        builder.Services.AddHostedService<EngineService>();
        builder.Services.AddNodeActorServices(actorSettings, stdin, stdout);
        builder.Services.AddAkka(RemoteProtocol.SystemName, akka =>
        {
            akka.AddNodeActors();
            if (remote is not null)
            {
                akka.AddRemoteGateway().WithTorrentRemoting(remote);
            }
        });
        return builder.Build();
    }
}
