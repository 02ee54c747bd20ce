using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.Client;

namespace TorrentActors.Node.Hosting;

/// <summary>The one place the node builds its BitTorrent engine.</summary>
internal static class EngineFactory
{
    public static ITorrentEngine Create(NodeSettings settings, IServiceProvider services)
    {
        var engineSettings = new EngineSettings
        {
            ListenAddress = IPAddress.Parse(settings.Host),
            ListenPort = settings.ListenPort,
        };
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("TorrentActors.Engine");
        return new ClientEngine(engineSettings, logger);
    }
}
