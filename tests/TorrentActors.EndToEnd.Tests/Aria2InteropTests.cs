using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>Another BitTorrent client (aria2c) given the torrent this node makes downloads the file from the node.</summary>
public class Aria2InteropTests
{
    [SkippableFact]
    public async Task Aria2c_downloads_what_a_file_command_seeds()
    {
        var aria2c = ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var data = temp.RandomFile("shared.bin", 4 * 1024 * 1024 + 5);
        await using var node = NodeProcess.Start(temp.Folder("a"), "--torrent-dir", temp.Combine("a", "torrents"), "--download-dir", temp.Combine("a", "downloads"), "--tracker-port", "0", "--listen-port", "0");
        await Protocol.WaitForTrackerUrlAsync(node, TimeSpan.FromSeconds(60));
        await node.SendAsync("file:" + data);
        await node.ReadUntilAsync(l => l == "1:shared.bin:100");

        var output = temp.Folder("aria2");
        var result = await TestProcess.RunAsync(aria2c,
            [
                "--no-conf", "--interface=127.0.0.1", "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false",
                "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--seed-time=0", "--summary-interval=0",
                "--dir=" + output, temp.Combine("a", "torrents", "shared.bin.torrent"),
            ],
            timeout: TimeSpan.FromSeconds(120));

        Assert.True(result.ExitCode == 0, $"aria2c exit {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}\nnode stderr:\n{node.Stderr}");
        Assert.Equal(File.ReadAllBytes(data), File.ReadAllBytes(Path.Combine(output, "shared.bin")));
    }
}
