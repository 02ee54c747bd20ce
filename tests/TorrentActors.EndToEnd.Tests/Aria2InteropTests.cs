using System.Diagnostics;
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
        var info = new ProcessStartInfo(aria2c)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--no-conf", "--interface=127.0.0.1", "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false",
                     "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--seed-time=0", "--summary-interval=0",
                     "--dir=" + output, temp.Combine("a", "torrents", "shared.bin.torrent"),
                 })
        {
            info.ArgumentList.Add(argument);
        }

        using var client = Process.Start(info)!;
        var stdout = client.StandardOutput.ReadToEndAsync();
        var stderr = client.StandardError.ReadToEndAsync();
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await client.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            client.Kill(entireProcessTree: true);
            await client.WaitForExitAsync();
            Assert.Fail($"aria2c did not finish in 120 s:\n{await stdout}\n{await stderr}\nnode stderr:\n{node.Stderr}");
        }

        Assert.True(client.ExitCode == 0, $"aria2c exit {client.ExitCode}:\n{await stdout}\n{await stderr}");
        Assert.Equal(File.ReadAllBytes(data), File.ReadAllBytes(Path.Combine(output, "shared.bin")));
    }
}
