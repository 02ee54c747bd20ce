using TorrentActors.Engine.Client;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

public sealed class SessionLifecycleTests
{
    [Fact]
    public async Task An_engine_can_be_disposed_twice_and_its_port_is_released()
    {
        var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var port = engine.ListenEndPoint.Port;

        await engine.DisposeAsync();
        await engine.DisposeAsync();

        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        listener.Start();
    }

    [Fact]
    public async Task A_download_resumes_from_the_pieces_already_on_disk()
    {
        var (data, torrent) = TestData.Create("resume.bin", [("", 40 * 16 * 1024)], 32 * 1024);
        using var _ = data;
        var leechFolder = data.Folder("leech");
        var source = File.ReadAllBytes(Path.Combine(data.Seed, "resume.bin"));
        File.WriteAllBytes(Path.Combine(leechFolder, "resume.bin"), source[..(source.Length / 2)]);

        await using var seeder = new ClientEngine(new EngineSettings());
        await using var leecher = new ClientEngine(new EngineSettings());
        await seeder.StartAsync();
        await leecher.StartAsync();
        var seed = seeder.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = leechFolder });
        await seed.StartAsync();
        await leech.StartAsync();
        Assert.Equal(TorrentState.Downloading, leech.Status.State);
        Assert.Equal(source.Length / 2, leech.Status.BytesVerified);

        leech.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(90), () => leech.Status.ToString());
        Assert.True(leech.Downloaded <= source.Length / 2 + (2 * torrent.PieceLength), $"downloaded {leech.Downloaded}");
        TransferTests.AssertSameFiles(torrent, data.Seed, leechFolder);
    }

    [Fact]
    public async Task Verified_data_is_seeded_in_place_without_a_check_and_unverified_data_is_checked()
    {
        var (data, torrent) = TestData.Create("inplace.bin", [("", 100_000)], 16 * 1024);
        using var _ = data;
        var path = Path.Combine(data.Seed, "inplace.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[0] ^= 1;
        File.WriteAllBytes(path, bytes);
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();

        // DataVerified: trusted as is (the maker just hashed it), so even the damaged first piece counts.
        var trusted = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed, DataVerified = true });
        await trusted.StartAsync();
        Assert.Equal(TorrentState.Seeding, trusted.Status.State);
        await engine.RemoveAsync(torrent.InfoHash);

        var checkedSession = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await checkedSession.StartAsync();
        Assert.Equal(TorrentState.Downloading, checkedSession.Status.State);
        Assert.Equal(100_000 - (16 * 1024), checkedSession.Status.BytesVerified);
        Assert.Single(Directory.GetFiles(data.Seed));
    }

    [Fact]
    public async Task Pause_closes_connections_and_resume_finishes_the_download()
    {
        var (data, torrent) = TestData.Create("pause.bin", [("", 600_000)], 16 * 1024);
        using var _ = data;
        await using var pair = await EnginePair.StartAsync(data, torrent);
        var (seeder, leecher, seed, leech) = pair;
        await leech.PauseAsync();
        Assert.Equal(TorrentState.Paused, leech.Status.State);
        leech.AddPeer(seeder.ListenEndPoint);
        Assert.Equal(0, leech.Status.PeerCount);

        await leech.ResumeAsync();
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(90), () => leech.Status.ToString());
        await leech.StopAsync();
        Assert.Equal(TorrentState.Stopped, leech.Status.State);
        Assert.Equal(0, leech.Status.PeerCount);
    }

    [Fact]
    public async Task A_write_that_fails_puts_the_session_in_error_with_a_reason()
    {
        var (data, torrent) = TestData.Create("blocked.bin", [("", 100_000)], 16 * 1024);
        using var _ = data;
        var leechFolder = data.Folder("leech");
        Directory.CreateDirectory(Path.Combine(leechFolder, "blocked.bin")); // a folder where the file must go
        await using var seeder = new ClientEngine(new EngineSettings());
        await using var leecher = new ClientEngine(new EngineSettings());
        await seeder.StartAsync();
        await leecher.StartAsync();
        var seed = seeder.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = leechFolder });
        var errors = new List<TorrentStatus>();
        leech.StatusChanged += (_, s) =>
        {
            lock (errors)
            {
                if (s.State == TorrentState.Error)
                {
                    errors.Add(s);
                }
            }
        };
        await seed.StartAsync();
        await leech.StartAsync();
        leech.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Error, TimeSpan.FromSeconds(60), () => leech.Status.ToString());
        Assert.Contains("writing piece", leech.Status.Error);
        lock (errors)
        {
            Assert.Single(errors);
        }

        Assert.Equal(TorrentState.Seeding, seed.Status.State);
    }
}
