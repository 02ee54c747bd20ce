using System.Net;
using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.Interop.Tests.Transfers;

/// <summary>transmission-cli only meets loopback peers that dial it, so in both directions our engine connects out.</summary>
public sealed class TransmissionTransferTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task Transmission_seeds_and_ours_downloads_by_dialing_the_peer_the_tracker_lists()
    {
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Sub("seed"), "movie.bin"), (6 * 1024 * 1024) + 77, seed: 21);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.File("movie.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        await tracker.WhitelistAsync(torrent.InfoHash);

        await using var transmission = TransmissionProcess.Seed(temp.File("movie.torrent"), temp.Sub("seed"));
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), transmission);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Sub("leech"));

        await ours.WaitForCompletionAsync(Timeout);
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Sub("leech"), "movie.bin")), transmission.Describe());
    }

    [SkippableFact]
    public async Task Ours_seeds_and_transmission_downloads_when_ours_dials_it()
    {
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Sub("seed"), "movie.bin"), (6 * 1024 * 1024) + 78, seed: 22);
        var torrent = await MktorrentTool.CreateAsync(source, temp.File("movie.torrent"), new Uri("http://127.0.0.1:9/announce"), pieceLengthExponent: 16);

        await using var transmission = TransmissionProcess.Download(temp.File("movie.torrent"), temp.Sub("leech"));
        await FreePort.WaitForListenerAsync(transmission.Port, TimeSpan.FromSeconds(30), transmission);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Sub("seed"));
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, transmission.Port));

        await transmission.WaitUntilAsync(() => transmission.IsDone, Timeout, "transmission's download");
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Sub("leech"), "movie.bin")), transmission.Describe());
    }

    [SkippableFact]
    public async Task A_multi_file_torrent_goes_from_transmission_to_ours_and_from_ours_to_transmission()
    {
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var content = temp.Sub("seed/album");
        var first = RandomFile.Create(Path.Combine(content, "a.bin"), 500_001, seed: 5);
        var second = RandomFile.Create(Path.Combine(content, "deep", "b.bin"), 1_500_002, seed: 6);
        var torrent = await MktorrentTool.CreateAsync(content, temp.File("album.torrent"), new Uri("http://127.0.0.1:9/announce"), pieceLengthExponent: 15);

        await using var seeder = TransmissionProcess.Seed(temp.File("album.torrent"), temp.Sub("seed"));
        await FreePort.WaitForListenerAsync(seeder.Port, TimeSpan.FromSeconds(30), seeder);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Sub("ours"));
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, seeder.Port));
        await ours.WaitForCompletionAsync(Timeout);
        Assert.True(ExternalProcess.FilesAreEqual(first, Path.Combine(temp.Path, "ours", "album", "a.bin")));
        Assert.True(ExternalProcess.FilesAreEqual(second, Path.Combine(temp.Path, "ours", "album", "deep", "b.bin")));

        await using var leecher = TransmissionProcess.Download(temp.File("album.torrent"), temp.Sub("leech"));
        await FreePort.WaitForListenerAsync(leecher.Port, TimeSpan.FromSeconds(30), leecher);
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, leecher.Port));
        await leecher.WaitUntilAsync(() => leecher.IsDone, Timeout, "transmission's download");
        Assert.True(ExternalProcess.FilesAreEqual(first, Path.Combine(temp.Path, "leech", "album", "a.bin")), leecher.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(second, Path.Combine(temp.Path, "leech", "album", "deep", "b.bin")), leecher.Describe());
    }
}
