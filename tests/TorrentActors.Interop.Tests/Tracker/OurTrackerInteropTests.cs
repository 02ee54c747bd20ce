using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using TorrentActors.Tracker;
using Xunit;

namespace TorrentActors.Interop.Tests.Tracker;

/// <summary>Real clients find each other through our tracker (HTTP and UDP) and complete a transfer.</summary>
public sealed class OurTrackerInteropTests
{
    private static readonly TimeSpan TransferTimeout = TimeSpan.FromSeconds(120);

    private static Task<TrackerServer> StartTrackerAsync(string host = "127.0.0.1") =>
        TrackerServer.StartAsync(new TrackerOptions
        {
            Host = host, HttpPort = 0, UdpPort = 0, Interval = TimeSpan.FromSeconds(30), MinInterval = TimeSpan.FromSeconds(5),
        });

    [SkippableFact]
    public async Task Libtorrent_peers_on_the_IPv6_loopback_find_each_other_through_our_tracker_on_it()
    {
        // libtorrent writes "Host: ::1:PORT" (no brackets) for http://[::1]:PORT/announce, and learns its peers from peers6.
        ExternalTool.RequireLibtorrentPython();
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "six.bin"), 3 * 1024 * 1024 + 9, seed: 14);
        await using var tracker = await StartTrackerAsync("::1");
        Assert.StartsWith("http://[::1]:", tracker.AnnounceUri.ToString(), StringComparison.Ordinal);
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("six.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);

        await using var seeder = LibtorrentProcess.Seed(temp.Combine("six.torrent"), temp.Folder("seed"), address: "::1");
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), seeder);
        await using var leecher = LibtorrentProcess.Download(temp.Combine("six.torrent"), temp.Folder("leech"), address: "::1");

        var exit = await leecher.WaitForExitAsync(TransferTimeout);
        Assert.True(exit == 0, leecher.Describe() + "\n" + seeder.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "six.bin")), leecher.Describe());
    }

    [SkippableFact]
    public async Task Transmission_announces_over_IPv6_to_our_tracker_on_the_IPv6_loopback()
    {
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "six.bin"), 1024 * 1024 + 3, seed: 15);
        await using var tracker = await StartTrackerAsync("::1");
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("six.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);

        await using var seeder = TransmissionProcess.Seed(temp.Combine("six.torrent"), temp.Folder("seed"), bindAddressIPv4: "0.0.0.0");

        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), seeder);
        Assert.Equal(1, tracker.PeerCount);
    }

    [SkippableFact]
    public async Task Aria2c_finds_an_aria2c_seeder_through_our_http_tracker()
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "data.bin"), 4 * 1024 * 1024 + 3, seed: 11);
        await using var tracker = await StartTrackerAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("data.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);

        await using var seeder = Aria2Process.Seed(temp.Combine("data.torrent"), temp.Folder("seed"));
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), seeder);
        await using var leecher = Aria2Process.Leech(temp.Combine("data.torrent"), temp.Folder("leech"));

        Assert.Equal(0, await leecher.WaitForExitAsync(TransferTimeout));
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "data.bin")), leecher.Describe());
    }

    [SkippableFact]
    public async Task Aria2c_over_http_finds_a_libtorrent_seeder_that_announced_over_udp()
    {
        // aria2c has no UDP tracker support without DHT, so libtorrent speaks BEP 15; both land in the same swarm.
        ExternalTool.Require("aria2c", "aria2");
        ExternalTool.RequireLibtorrentPython();
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "data.bin"), 2 * 1024 * 1024 + 5, seed: 12);
        await using var tracker = await StartTrackerAsync();
        var udpTorrent = await MktorrentTool.CreateAsync(source, temp.Combine("udp.torrent"), tracker.UdpAnnounceUri, pieceLengthExponent: 16);
        var httpTorrent = await MktorrentTool.CreateAsync(source, temp.Combine("http.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        Assert.Equal(udpTorrent.InfoHash, httpTorrent.InfoHash);

        await using var seeder = LibtorrentProcess.Seed(temp.Combine("udp.torrent"), temp.Folder("seed"));
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, udpTorrent.InfoHash, 1, TimeSpan.FromSeconds(60), seeder);
        await using var leecher = Aria2Process.Leech(temp.Combine("http.torrent"), temp.Folder("leech"));

        var exit = await leecher.WaitForExitAsync(TransferTimeout);
        Assert.True(exit == 0, leecher.Describe() + "\n" + seeder.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "data.bin")), leecher.Describe());
    }

    [SkippableFact]
    public async Task Aria2c_downloads_from_a_transmission_seeder_it_finds_through_our_tracker()
    {
        // transmission ignores loopback peers handed out by trackers, so it is the side that gets dialled: the seeder.
        ExternalTool.Require("aria2c", "aria2");
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "show.bin"), 3 * 1024 * 1024 + 17, seed: 13);
        await using var tracker = await StartTrackerAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("show.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);

        await using var seeder = TransmissionProcess.Seed(temp.Combine("show.torrent"), temp.Folder("seed"));
        await TrackerProbe.WaitForPeersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), seeder);
        await using var leecher = Aria2Process.Leech(temp.Combine("show.torrent"), temp.Folder("leech"));

        var exit = await leecher.WaitForExitAsync(TransferTimeout);
        Assert.True(exit == 0, leecher.Describe() + "\n" + seeder.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "show.bin")), leecher.Describe());
    }
}
