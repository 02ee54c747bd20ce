using System.Net;
using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.Interop.Tests.Transfers;

/// <summary>
/// A hybrid v1+v2 torrent that libtorrent makes of a folder of odd-sized files carries BEP 47 pad files; ours moves it
/// both ways over v1 and never puts a pad file on disk.
/// </summary>
public sealed class HybridTorrentTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    private static (string Content, string[] Files) Album(TempFolder temp)
    {
        var content = temp.Folder("seed/album");
        string[] files =
        [
            RandomFile.Create(Path.Combine(content, "a.bin"), 700_001, seed: 31),
            RandomFile.Create(Path.Combine(content, "b.bin"), 1_234_567, seed: 32),
            RandomFile.Create(Path.Combine(content, "deep", "c.bin"), 99_999, seed: 33),
        ];
        return (content, files);
    }

    [SkippableFact]
    public async Task Ours_downloads_a_libtorrent_hybrid_torrent_byte_identical_without_writing_its_pad_files()
    {
        ExternalTool.RequireLibtorrentPython();
        using var temp = new TempFolder();
        var (content, files) = Album(temp);
        var torrent = await LibtorrentMaker.CreateHybridAsync(content, temp.Combine("album.torrent"), pieceLength: 32 * 1024);
        Assert.Contains(torrent.Files, f => f.IsPad && f.RelativePath.Contains("/.pad/", StringComparison.Ordinal));

        await using var seeder = LibtorrentProcess.Seed(temp.Combine("album.torrent"), temp.Folder("seed"));
        await Listener.WaitForAsync(seeder.Port, TimeSpan.FromSeconds(30), seeder);
        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("ours"));
        ours.Session.AddPeer(new IPEndPoint(IPAddress.Loopback, seeder.Port));
        await ours.WaitForCompletionAsync(Timeout);

        foreach (var file in files)
        {
            var copy = Path.Combine(temp.Path, "ours", Path.GetRelativePath(temp.Combine("seed"), file));
            Assert.True(ExternalProcess.FilesAreEqual(file, copy), copy);
        }

        Assert.False(Directory.Exists(temp.Combine("ours", "album", ".pad")));
        Assert.Equal(3, Directory.GetFiles(temp.Combine("ours"), "*", SearchOption.AllDirectories).Length);
    }

    [SkippableFact]
    public async Task Ours_seeds_a_libtorrent_hybrid_torrent_from_the_same_files_and_libtorrent_downloads_it_complete()
    {
        ExternalTool.RequireLibtorrentPython();
        using var temp = new TempFolder();
        var (content, files) = Album(temp);
        var torrent = await LibtorrentMaker.CreateHybridAsync(content, temp.Combine("album.torrent"), pieceLength: 32 * 1024);

        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("seed"));
        await ours.WaitForCompletionAsync(TimeSpan.FromSeconds(30));
        await using var leecher = LibtorrentProcess.Download(temp.Combine("album.torrent"), temp.Folder("leech"),
            connectTo: [$"127.0.0.1:{ours.EndPoint.Port}"]);

        Assert.Equal(0, await leecher.WaitForExitAsync(Timeout));
        Assert.True(leecher.IsFinished, leecher.Describe());
        foreach (var file in files)
        {
            var copy = Path.Combine(temp.Path, "leech", Path.GetRelativePath(temp.Combine("seed"), file));
            Assert.True(ExternalProcess.FilesAreEqual(file, copy), copy + "\n" + leecher.Describe());
        }

        Assert.False(Directory.Exists(temp.Combine("seed", "album", ".pad")));
    }
}
