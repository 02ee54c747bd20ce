using System.Net;
using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.Interop.Tests.Transfers;

public sealed class Aria2TransferTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [SkippableFact]
    public async Task Ours_seeds_and_aria2c_downloads_through_opentracker_byte_identical()
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "payload.bin"), (8 * 1024 * 1024) + 4321, seed: 11);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("payload.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        await tracker.WhitelistAsync(torrent.InfoHash);

        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("seed"));
        Assert.Equal(Engine.Client.TorrentState.Seeding, ours.Session.Status.State);
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60));
        await using var aria2 = Aria2Process.Leech(temp.Combine("payload.torrent"), temp.Folder("leech"));

        Assert.True(await aria2.WaitForExitAsync(Timeout) == 0, aria2.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "payload.bin")), aria2.Describe());
        Assert.True(ours.Session.Uploaded >= torrent.TotalLength);
    }

    [SkippableFact]
    public async Task Aria2c_seeds_and_ours_downloads_through_opentracker_byte_identical()
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "payload.bin"), (8 * 1024 * 1024) + 999, seed: 12);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("payload.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        await tracker.WhitelistAsync(torrent.InfoHash);

        await using var aria2 = Aria2Process.Seed(temp.Combine("payload.torrent"), temp.Folder("seed"));
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60), aria2);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("leech"));

        await ours.WaitForCompletionAsync(Timeout);
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "payload.bin")));
    }

    [SkippableFact]
    public async Task Ours_seeds_a_multi_file_torrent_to_aria2c_by_dialing_it()
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var content = temp.Folder("seed/album");
        var first = RandomFile.Create(Path.Combine(content, "a.bin"), 300_001, seed: 1);
        var second = RandomFile.Create(Path.Combine(content, "sub", "b.bin"), 2_000_003, seed: 2);
        var torrent = await MktorrentTool.CreateAsync(content, temp.Combine("album.torrent"), new Uri("http://127.0.0.1:9/announce"), pieceLengthExponent: 15);

        await using var aria2 = Aria2Process.Leech(temp.Combine("album.torrent"), temp.Folder("leech"));
        await Listener.WaitForAsync(aria2.Port, TimeSpan.FromSeconds(30), aria2);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("seed"));
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, aria2.Port));

        Assert.True(await aria2.WaitForExitAsync(Timeout) == 0, aria2.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(first, Path.Combine(temp.Path, "leech", "album", "a.bin")), aria2.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(second, Path.Combine(temp.Path, "leech", "album", "sub", "b.bin")), aria2.Describe());
    }

    [SkippableFact]
    public async Task Aria2c_seeds_a_multi_file_torrent_that_ours_downloads_by_dialing_it()
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var content = temp.Folder("seed/album");
        var first = RandomFile.Create(Path.Combine(content, "a.bin"), 300_001, seed: 3);
        var second = RandomFile.Create(Path.Combine(content, "sub", "b.bin"), 2_000_003, seed: 4);
        var torrent = await MktorrentTool.CreateAsync(content, temp.Combine("album.torrent"), new Uri("http://127.0.0.1:9/announce"), pieceLengthExponent: 15);

        await using var aria2 = Aria2Process.Seed(temp.Combine("album.torrent"), temp.Folder("seed"));
        await Listener.WaitForAsync(aria2.Port, TimeSpan.FromSeconds(30), aria2);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("leech"));
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, aria2.Port));

        await ours.WaitForCompletionAsync(Timeout);
        Assert.True(ExternalProcess.FilesAreEqual(first, Path.Combine(temp.Path, "leech", "album", "a.bin")));
        Assert.True(ExternalProcess.FilesAreEqual(second, Path.Combine(temp.Path, "leech", "album", "sub", "b.bin")));
    }
}
