using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>Proves the harness itself with real peers only (no code of ours on the wire).</summary>
public sealed class PeerHarnessTests
{
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task Aria2c_seeds_to_aria2c_through_opentracker_byte_identical()
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "payload.bin"), 3 * 1024 * 1024 + 12345, seed: 7);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("payload.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        await tracker.WhitelistAsync(torrent.InfoHash);

        await using var seeder = Aria2Process.Seed(temp.Combine("payload.torrent"), temp.Folder("seed"));
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), seeder);
        await using var leecher = Aria2Process.Leech(temp.Combine("payload.torrent"), temp.Folder("leech"));

        var exit = await leecher.WaitForExitAsync(TransferTimeout);
        Assert.True(exit == 0, leecher.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "payload.bin")), leecher.Describe());
    }

    [SkippableFact]
    public async Task Aria2c_seeds_a_multi_file_torrent_made_by_mktorrent_to_aria2c()
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var content = temp.Folder("seed/album");
        var first = RandomFile.Create(Path.Combine(content, "a.bin"), 200_000, seed: 1);
        var second = RandomFile.Create(Path.Combine(content, "sub", "b.bin"), 1_000_001, seed: 2);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(content, temp.Combine("album.torrent"), tracker.AnnounceUri, pieceLengthExponent: 15);
        await tracker.WhitelistAsync(torrent.InfoHash);

        await using var seeder = Aria2Process.Seed(temp.Combine("album.torrent"), temp.Folder("seed"));
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), seeder);
        await using var leecher = Aria2Process.Leech(temp.Combine("album.torrent"), temp.Folder("leech"));

        Assert.Equal(0, await leecher.WaitForExitAsync(TransferTimeout));
        Assert.True(ExternalProcess.FilesAreEqual(first, Path.Combine(temp.Path, "leech", "album", "a.bin")), leecher.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(second, Path.Combine(temp.Path, "leech", "album", "sub", "b.bin")), leecher.Describe());
    }

    [SkippableFact]
    public async Task Libtorrent_downloads_from_a_transmission_seeder_it_dials()
    {
        ExternalTool.RequireLibtorrentPython();
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "movie.bin"), 2 * 1024 * 1024 + 77, seed: 3);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("movie.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        await tracker.WhitelistAsync(torrent.InfoHash);

        await using var seeder = TransmissionProcess.Seed(temp.Combine("movie.torrent"), temp.Folder("seed"));
        await Listener.WaitForAsync(seeder.Port, TimeSpan.FromSeconds(60), seeder);
        await using var leecher = LibtorrentProcess.Download(temp.Combine("movie.torrent"), temp.Folder("leech"),
            connectTo: [$"127.0.0.1:{seeder.Port}"]);

        await leecher.WaitUntilAsync(() => leecher.IsFinished, TransferTimeout, "libtorrent to finish", allowExit: true);
        Assert.True(leecher.IsFinished, leecher.Describe() + "\n" + seeder.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "movie.bin")), leecher.Describe());
    }
}
