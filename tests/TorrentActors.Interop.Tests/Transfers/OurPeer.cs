using System.Net;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Interop.Tests.Transfers;

/// <summary>One of our engines with one torrent, for interop tests; disposed with the test.</summary>
public sealed class OurPeer : IAsyncDisposable
{
    private OurPeer(ClientEngine engine, TorrentSession session)
    {
        Engine = engine;
        Session = session;
    }

    public ClientEngine Engine { get; }

    public TorrentSession Session { get; }

    public IPEndPoint EndPoint => Engine.ListenEndPoint;

    public static async Task<OurPeer> StartAsync(Torrent torrent, string directory, bool verified = false, EngineSettings? settings = null)
    {
        var engine = new ClientEngine(settings ?? new EngineSettings());
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = directory, DataVerified = verified });
        await session.StartAsync();
        return new OurPeer(engine, session);
    }

    public Task WaitForCompletionAsync(TimeSpan timeout) =>
        WaitAsync(() => Session.Status.State == TorrentState.Seeding, timeout, "completion");

    public async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (Session.Status.State == TorrentState.Error)
            {
                throw new InvalidOperationException($"session failed: {Session.Status.Error}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out waiting for {what}: {Session.Status} tracker {Session.TrackerError}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync() => await Engine.DisposeAsync();
}
