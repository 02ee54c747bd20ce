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
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "movie.bin"), (6 * 1024 * 1024) + 77, seed: 21);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("movie.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        await tracker.WhitelistAsync(torrent.InfoHash);

        await using var transmission = TransmissionProcess.Seed(temp.Combine("movie.torrent"), temp.Folder("seed"));
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), transmission);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("leech"));

        await ours.WaitForCompletionAsync(Timeout);
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "movie.bin")), transmission.Describe());
    }

    [SkippableFact]
    public async Task Ours_seeds_and_transmission_downloads_when_ours_dials_it()
    {
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "movie.bin"), (6 * 1024 * 1024) + 78, seed: 22);
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("movie.torrent"), new Uri("http://127.0.0.1:9/announce"), pieceLengthExponent: 16);

        await using var transmission = TransmissionProcess.Download(temp.Combine("movie.torrent"), temp.Folder("leech"));
        await Listener.WaitForAsync(transmission.Port, TimeSpan.FromSeconds(30), transmission);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("seed"));
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, transmission.Port));

        await transmission.WaitUntilAsync(() => transmission.IsDone, Timeout, "transmission's download");
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "movie.bin")), transmission.Describe());
    }

    [SkippableFact]
    public async Task A_multi_file_torrent_goes_from_transmission_to_ours_and_from_ours_to_transmission()
    {
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var content = temp.Folder("seed/album");
        var first = RandomFile.Create(Path.Combine(content, "a.bin"), 500_001, seed: 5);
        var second = RandomFile.Create(Path.Combine(content, "deep", "b.bin"), 1_500_002, seed: 6);
        var torrent = await MktorrentTool.CreateAsync(content, temp.Combine("album.torrent"), new Uri("http://127.0.0.1:9/announce"), pieceLengthExponent: 15);

        await using var seeder = TransmissionProcess.Seed(temp.Combine("album.torrent"), temp.Folder("seed"));
        await Listener.WaitForAsync(seeder.Port, TimeSpan.FromSeconds(30), seeder);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("ours"));
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, seeder.Port));
        await ours.WaitForCompletionAsync(Timeout);
        Assert.True(ExternalProcess.FilesAreEqual(first, Path.Combine(temp.Path, "ours", "album", "a.bin")));
        Assert.True(ExternalProcess.FilesAreEqual(second, Path.Combine(temp.Path, "ours", "album", "deep", "b.bin")));

        await using var leecher = TransmissionProcess.Download(temp.Combine("album.torrent"), temp.Folder("leech"));
        await Listener.WaitForAsync(leecher.Port, TimeSpan.FromSeconds(30), leecher);
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, leecher.Port));
        await leecher.WaitUntilAsync(() => leecher.IsDone, Timeout, "transmission's download");
        Assert.True(ExternalProcess.FilesAreEqual(first, Path.Combine(temp.Path, "leech", "album", "a.bin")), leecher.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(second, Path.Combine(temp.Path, "leech", "album", "deep", "b.bin")), leecher.Describe());
    }
}
