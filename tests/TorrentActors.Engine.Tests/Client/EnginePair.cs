using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// Two started engines on 127.0.0.1 with one torrent started on both: seeding from <see cref="TestData.Seed"/>
/// and leeching into the <c>leech</c> folder. They are not yet connected: tests choose who dials whom.
/// </summary>
public sealed class EnginePair : IAsyncDisposable
{
    private EnginePair(ClientEngine seeder, ClientEngine leecher, TorrentSession seed, TorrentSession leech)
    {
        Seeder = seeder;
        Leecher = leecher;
        Seed = seed;
        Leech = leech;
    }

    public ClientEngine Seeder { get; }

    public ClientEngine Leecher { get; }

    public TorrentSession Seed { get; }

    public TorrentSession Leech { get; }

    public static async Task<EnginePair> StartAsync(TestData data, Torrent torrent)
    {
        var seeder = new ClientEngine(new EngineSettings());
        var leecher = new ClientEngine(new EngineSettings());
        try
        {
            await seeder.StartAsync();
            await leecher.StartAsync();
            var seed = seeder.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
            var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Folder("leech") });
            await seed.StartAsync();
            await leech.StartAsync();
            return new EnginePair(seeder, leecher, seed, leech);
        }
        catch
        {
            await leecher.DisposeAsync();
            await seeder.DisposeAsync();
            throw;
        }
    }

    public void Deconstruct(out ClientEngine seeder, out ClientEngine leecher, out TorrentSession seed, out TorrentSession leech) =>
        (seeder, leecher, seed, leech) = (Seeder, Leecher, Seed, Leech);

    /// <summary>The leecher first, then the seeder, as two <c>await using</c> declarations would.</summary>
    public async ValueTask DisposeAsync()
    {
        await Leecher.DisposeAsync();
        await Seeder.DisposeAsync();
    }
}
