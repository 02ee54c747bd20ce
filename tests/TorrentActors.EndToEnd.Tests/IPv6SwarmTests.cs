using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>A swarm on the IPv6 loopback alone: the node with <c>--host ::1</c> and libtorrent bound to ::1 only.</summary>
public class IPv6SwarmTests
{
    [SkippableFact]
    public async Task Libtorrent_on_the_IPv6_loopback_downloads_what_a_node_on_it_seeds_finding_it_only_through_the_embedded_tracker()
    {
        ExternalTool.RequireLibtorrentPython();
        using var temp = new TempFolder();
        var data = temp.RandomFile("six.bin", 5 * 1024 * 1024 + 13);
        await using var node = NodeProcess.Start(temp.Folder("a"), "--host", "::1", "--torrent-dir", temp.Combine("a", "torrents"),
            "--download-dir", temp.Combine("a", "downloads"), "--tracker-port", "0", "--listen-port", "0");
        var trackerUrl = await Protocol.WaitForTrackerUrlAsync(node, TimeSpan.FromSeconds(60));
        Assert.StartsWith("http://[::1]:", trackerUrl, StringComparison.Ordinal);
        await node.SendAsync("file:" + data);
        await node.ReadUntilAsync(l => l == "1:six.bin:100");
        var torrentPath = temp.Combine("a", "torrents", "six.bin.torrent");
        var torrent = Torrent.Parse(File.ReadAllBytes(torrentPath));
        var announce = new Uri(trackerUrl + "/announce");
        Assert.Equal(announce.ToString(), torrent.Announce);
        await TrackerProbe.WaitForSeedersAsync(announce, torrent.InfoHash, 1, TimeSpan.FromSeconds(30));

        // No peer to dial is given: libtorrent learns the node's [::1] endpoint from the tracker's peers6.
        await using var leecher = LibtorrentProcess.Download(torrentPath, temp.Folder("lt"), address: "::1");

        var exit = await leecher.WaitForExitAsync(TimeSpan.FromSeconds(120));
        Assert.True(exit == 0, leecher.Describe() + "\nnode stderr:\n" + node.Stderr);
        Assert.True(ExternalProcess.FilesAreEqual(data, Path.Combine(temp.Path, "lt", "six.bin")), leecher.Describe());
    }
}
