using Microsoft.Extensions.Hosting;
using TorrentActors.Engine.Client;

namespace TorrentActors.Node.Hosting;

/// <summary>
/// Starts the engine (its listening socket) before the actors start. The container owns the engine and disposes
/// it when the host is disposed, after the actors have stopped every session.
/// </summary>
internal sealed class EngineService(ITorrentEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => engine.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
