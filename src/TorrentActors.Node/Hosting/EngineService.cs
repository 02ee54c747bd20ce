using Microsoft.Extensions.Hosting;
using TorrentActors.Engine.Client;

namespace TorrentActors.Node.Hosting;

/// <summary>Starts the engine (listening socket) before the actors and disposes it after they stopped.</summary>
internal sealed class EngineService(ITorrentEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => engine.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken) => await engine.DisposeAsync();
}
