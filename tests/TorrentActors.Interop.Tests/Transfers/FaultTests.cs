using TorrentActors.Engine.Client;
using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.Interop.Tests.Transfers;

public sealed class FaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task When_the_seeder_is_killed_mid_transfer_a_later_seeder_finishes_the_download()
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "data.bin"), 24L * 1024 * 1024, seed: 41);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("data.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        await tracker.WhitelistAsync(torrent.InfoHash);

        // A slow first seeder (aria2c capped at 2 MiB/s) so the transfer is surely under way when it dies.
        var first = Aria2Process.Seed(temp.Combine("data.torrent"), temp.Folder("seed"), extraArguments: ["--max-overall-upload-limit=2M"]);
        await using (first)
        {
            await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), first);
            await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("leech"));
            await ours.WaitAsync(() => ours.Session.Status.Progress >= 0.1, Timeout, "10% from the first seeder");
            first.Signal(9);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
            var progressAtKill = ours.Session.Status.Progress;
            Assert.True(progressAtKill < 1.0, "the first seeder finished before it was killed");
            Assert.Equal(TorrentState.Downloading, ours.Session.Status.State);

            // The second seeder (ours) learns the leecher from the tracker and dials it, as seeders do here.
            await using var second = await OurPeer.StartAsync(torrent, temp.Folder("seed"), verified: true);
            await ours.WaitForCompletionAsync(Timeout);
            Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "data.bin")));
            Assert.True(second.Session.Uploaded > 0);
        }
    }
}
