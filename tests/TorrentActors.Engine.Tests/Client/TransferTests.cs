using System.Net;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

public sealed class TransferTests
{
    internal static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("timed out waiting: " + describe());
            }

            await Task.Delay(50);
        }
    }

    internal static void AssertSameFiles(Torrent torrent, string expectedRoot, string actualRoot)
    {
        foreach (var file in torrent.Files)
        {
            var expected = File.ReadAllBytes(TorrentPaths.Resolve(expectedRoot, file.PathComponents));
            var actual = File.ReadAllBytes(TorrentPaths.Resolve(actualRoot, file.PathComponents));
            Assert.Equal(expected.Length, actual.Length);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{file.RelativePath} differs");
        }
    }

    [Fact]
    public async Task Single_file_goes_from_one_engine_to_another_byte_for_byte()
    {
        var (data, torrent) = TestData.Create("single.bin", [("", (3 * 1024 * 1024) + 12345)], 64 * 1024);
        using var _ = data;
        await TransferAsync(torrent, data.Seed, data.Folder("leech"));
    }

    [Fact]
    public async Task Multi_file_torrent_goes_from_one_engine_to_another_byte_for_byte()
    {
        var (data, torrent) = TestData.Create(
            "album",
            [("a.bin", 100_000), ("sub/b.bin", 70_001), ("sub/empty.txt", 0), ("c.bin", 1_000_000), ("d.bin", 5)],
            32 * 1024);
        using var _ = data;
        await TransferAsync(torrent, data.Seed, data.Folder("leech"));
        Assert.True(File.Exists(Path.Combine(data.Root, "leech", "album", "sub", "empty.txt")));
    }

    [Fact]
    public async Task A_leecher_that_dials_the_seeder_downloads_and_the_seeder_may_dial_a_leecher_too()
    {
        var (data, torrent) = TestData.Create("dial.bin", [("", 500_000)], 16 * 1024);
        using var _ = data;
        await using var pair = await EnginePair.StartAsync(data, torrent);
        var (seeder, leecher, seed, leech) = pair;

        // The seeder dials the leecher: seeding sessions connect out as well.
        seed.AddPeer(leecher.ListenEndPoint);
        await WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(90), () => leech.Status.ToString());
        AssertSameFiles(torrent, data.Seed, Path.Combine(data.Root, "leech"));
        Assert.True(seed.Uploaded >= torrent.TotalLength);
    }

    internal static async Task TransferAsync(Torrent torrent, string seedFolder, string leechFolder)
    {
        await using var seeder = new ClientEngine(new EngineSettings());
        await using var leecher = new ClientEngine(new EngineSettings());
        await seeder.StartAsync();
        await leecher.StartAsync();
        var seed = seeder.Add(torrent, new TorrentSessionOptions { DownloadDirectory = seedFolder });
        var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = leechFolder });
        var events = new List<TorrentStatus>();
        leech.StatusChanged += (_, status) =>
        {
            lock (events)
            {
                events.Add(status);
            }
        };
        await seed.StartAsync();
        Assert.Equal(TorrentState.Seeding, seed.Status.State);
        await leech.StartAsync();
        Assert.Equal(TorrentState.Downloading, leech.Status.State);
        leech.AddPeer(seeder.ListenEndPoint);
        await WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(90), () => leech.Status.ToString());
        AssertSameFiles(torrent, seedFolder, leechFolder);
        Assert.Equal(1.0, leech.Status.Progress);
        Assert.Equal(torrent.TotalLength, leech.Status.BytesVerified);
        lock (events)
        {
            Assert.Contains(events, e => e.State == TorrentState.Checking);
            Assert.Contains(events, e => e.State == TorrentState.Seeding && e.WholePercent == 100);
            Assert.True(events.Count >= 3);
        }
    }
}
