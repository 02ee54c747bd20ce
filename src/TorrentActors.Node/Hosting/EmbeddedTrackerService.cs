using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TorrentActors.Tracker;

namespace TorrentActors.Node.Hosting;

/// <summary>
/// The embedded HTTP and UDP tracker as a hosted service: started after the engine and before the actors (whose
/// made torrents announce to it), stopped after the actors (so stopping sessions still reach it with <c>stopped</c>).
/// Each peer that announces to it goes to <paramref name="handoff"/>, which gives it to the node's session of that torrent.
/// </summary>
internal sealed class EmbeddedTrackerService(TrackerOptions options, ILoggerFactory loggerFactory, TrackerPeerHandoff handoff) : IHostedService, IAsyncDisposable
{
    private TrackerServer? _server;

    /// <summary>The HTTP announce URL; only once the service has started.</summary>
    public Uri AnnounceUri => (_server ?? throw new InvalidOperationException("the embedded tracker has not started")).AnnounceUri;

    public async Task StartAsync(CancellationToken cancellationToken) =>
        _server = await TrackerServer.StartAsync(options, loggerFactory, handoff.OnAnnounced, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _server, null) is { } server)
        {
            await server.DisposeAsync();
        }
    }
}
