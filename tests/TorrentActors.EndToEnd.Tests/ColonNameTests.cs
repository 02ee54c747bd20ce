using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>A file whose name has a colon, an ordinary name on Linux: seeded, served, downloaded like any other.</summary>
public class ColonNameTests
{
    private const string Name = "a:b.bin";

    private static readonly TimeSpan Transfer = TimeSpan.FromSeconds(120);

    private static NodeProcess StartSeeder(TempFolder temp) =>
        NodeProcess.Start(temp.Folder("a"), "--torrent-dir", temp.Combine("a", "torrents"), "--download-dir", temp.Combine("a", "downloads"), "--tracker-port", "0", "--listen-port", "0");

    private static async Task<(NodeProcess Node, string Tracker, string Data)> SeedAsync(TempFolder temp, int length)
    {
        var data = temp.RandomFile(Name, length);
        var node = StartSeeder(temp);
        var tracker = await Protocol.WaitForTrackerUrlAsync(node, TimeSpan.FromSeconds(60));
        await node.SendAsync("file:" + data);
        Assert.Equal($"1:{Name}:-1", await node.NextLineAsync(Transfer));
        Assert.Equal($"1:{Name}:100", await node.NextLineAsync(Transfer));
        return (node, tracker, data);
    }

    [SkippableFact]
    public async Task A_file_named_with_a_colon_is_seeded_under_its_name_and_aria2c_downloads_it_byte_identical()
    {
        Skip.If(OperatingSystem.IsWindows(), "a colon is not allowed in a Windows file name");
        var aria2c = ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var (node, _, data) = await SeedAsync(temp, 2 * 1024 * 1024 + 11);
        await using var seeder = node;

        var torrentPath = temp.Combine("a", "torrents", Name + ".torrent");
        Assert.True(File.Exists(torrentPath), "the torrent is written as torrents/a:b.bin.torrent");
        Assert.Equal(Name, Torrent.Load(torrentPath).Name);
        Assert.True(Protocol.IsProgress($"1:{Name}:100") && Protocol.PercentOf($"1:{Name}:100") == 100);

        var output = temp.Folder("aria2");
        var result = await TestProcess.RunAsync(aria2c,
            [
                "--no-conf", "--interface=127.0.0.1", "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false",
                "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--seed-time=0", "--summary-interval=0",
                "--dir=" + output, torrentPath,
            ],
            timeout: Transfer);

        Assert.True(result.ExitCode == 0, $"aria2c exit {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}\nnode stderr:\n{seeder.Stderr}");
        Assert.Equal(await File.ReadAllBytesAsync(data), await File.ReadAllBytesAsync(Path.Combine(output, Name)));
        Assert.True(Protocol.IsClean(seeder.AllStdout));
    }

    [SkippableFact]
    public async Task A_second_node_downloads_a_colon_named_torrent_from_the_seeders_torrent_url_and_from_a_path()
    {
        Skip.If(OperatingSystem.IsWindows(), "a colon is not allowed in a Windows file name");
        using var temp = new TempFolder();
        var (node, tracker, data) = await SeedAsync(temp, 1024 * 1024 + 7);
        await using var seeder = node;

        await using (var byUrl = NodeProcess.Start(temp.Folder("b"), "--torrent-dir", temp.Combine("b", "torrents"), "--download-dir", temp.Combine("b", "downloads"), "--no-tracker", "--listen-port", "0", "--exit-when-complete"))
        {
            await byUrl.SendAsync($"torrent:{tracker}/torrents/{Name}.torrent");
            var lines = await byUrl.ReadUntilAsync(l => l == $"1:{Name}:100" || Protocol.IsError(l), Transfer);
            Assert.Equal($"1:{Name}:-1", lines[0]);
            Assert.Equal($"1:{Name}:100", lines[^1]);
            Assert.Equal(0, await byUrl.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        Assert.Equal(await File.ReadAllBytesAsync(data), await File.ReadAllBytesAsync(temp.Combine("b", "downloads", Name)));

        // torrent:PATH, relative to the torrent folder, with the colon in it.
        Directory.CreateDirectory(temp.Combine("c", "torrents"));
        File.Copy(temp.Combine("a", "torrents", Name + ".torrent"), temp.Combine("c", "torrents", Name + ".torrent"));
        await using var byPath = NodeProcess.Start(temp.Folder("c"), "--torrent-dir", temp.Combine("c", "torrents"), "--download-dir", temp.Combine("c", "downloads"), "--no-tracker", "--listen-port", "0");
        await byPath.SendAsync($"torrent:{Name}.torrent");
        Assert.Equal($"1:{Name}:100", (await byPath.ReadUntilAsync(l => l == $"1:{Name}:100" || Protocol.IsError(l), Transfer))[^1]);
        Assert.Equal(await File.ReadAllBytesAsync(data), await File.ReadAllBytesAsync(temp.Combine("c", "downloads", Name)));
        await byPath.SendAsync("stop:1");
        Assert.Equal($"1:{Name}:stopped", await byPath.NextLineAsync(Transfer));
        Assert.True(Protocol.IsAnswer($"1:{Name}:stopped") && !Protocol.IsProgress($"1:{Name}:stopped"));
    }
}
