using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.Client;

namespace TorrentActors.Node.Hosting;

/// <summary>The one place the node builds its BitTorrent engine, from the <see cref="EngineSettings"/> in the container.</summary>
internal static class EngineFactory
{
    public static ITorrentEngine Create(IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("TorrentActors.Engine");
        return new ClientEngine(services.GetRequiredService<EngineSettings>(), logger);
    }
}
