using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.Interop.Tests.Transfers;

public sealed class SwarmTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(180);

    [SkippableFact]
    public async Task One_seeder_and_four_mixed_leechers_all_complete_and_leechers_share_with_each_other()
    {
        ExternalTool.Require("aria2c", "aria2");
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "swarm.bin"), 48L * 1024 * 1024, seed: 31);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("swarm.torrent"), tracker.AnnounceUri, pieceLengthExponent: 15);
        await tracker.WhitelistAsync(torrent.InfoHash);

        // transmission first: it only meets peers that dial it, and our sessions dial what the tracker lists.
        await using var transmission = TransmissionProcess.Download(temp.Combine("swarm.torrent"), temp.Folder("transmission"));
        await WaitForLeechersAsync(tracker, torrent.InfoHash, 1, transmission);
        await using var aria2 = Aria2Process.Leech(temp.Combine("swarm.torrent"), temp.Folder("aria2"));
        await WaitForLeechersAsync(tracker, torrent.InfoHash, 2, aria2);
        await using var first = await OurPeer.StartAsync(torrent, temp.Folder("ours1"));
        await using var second = await OurPeer.StartAsync(torrent, temp.Folder("ours2"));
        await WaitForLeechersAsync(tracker, torrent.InfoHash, 4, null);
        await using var seeder = await OurPeer.StartAsync(torrent, temp.Folder("seed"), verified: true);

        await first.WaitForCompletionAsync(Timeout);
        await second.WaitForCompletionAsync(Timeout);
        Assert.True(await aria2.WaitForExitAsync(Timeout) == 0, aria2.Describe());
        await transmission.WaitUntilAsync(() => transmission.IsDone, Timeout, "transmission's download");

        foreach (var folder in new[] { "ours1", "ours2", "aria2", "transmission" })
        {
            Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Path, folder, "swarm.bin")), folder);
        }

        var leecherUploads = first.Session.Uploaded + second.Session.Uploaded;
        Assert.True(leecherUploads > 0, $"our leechers uploaded {leecherUploads} bytes; seeder uploaded {seeder.Session.Uploaded}");
    }

    private static async Task WaitForLeechersAsync(OpenTrackerProcess tracker, Engine.Metainfo.InfoHash infoHash, int count, ExternalProcess? diagnostics)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var (_, incomplete, _) = await TrackerProbe.ScrapeAsync(tracker.AnnounceUri, infoHash);
            if (incomplete >= count)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"tracker saw {incomplete} leechers, not {count}.\n{diagnostics?.Describe()}");
            }

            await Task.Delay(200);
        }
    }
}
