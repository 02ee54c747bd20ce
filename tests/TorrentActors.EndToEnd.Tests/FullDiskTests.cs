using System.Text.RegularExpressions;
using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// A state database the disk will not let grow: the node runs with the operating system's file size limit at the
/// database's size (a write that grows it fails with EFBIG, as on a full disk), so the next registry event cannot be
/// written, while reads and the seeding go on.
/// </summary>
public class FullDiskTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private static string[] NodeArguments(TempFolder temp, int trackerPort) =>
        ["--torrent-dir", temp.Combine("torrents"), "--download-dir", temp.Combine("downloads"), "--state-dir", temp.Combine("state"),
            "--tracker-port", trackerPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--remote-port", "0", "--listen-port", "0"];

    [SkippableFact]
    public async Task A_registry_write_the_disk_refuses_fails_only_its_command_the_node_keeps_seeding_and_the_last_good_state_survives()
    {
        var aria2c = ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var seeded = temp.RandomFile("seeded.bin", 2 * 1024 * 1024 + 11);
        // Its .torrent (about 10 KB of piece hashes) needs new pages in the database: the write must grow the file.
        var large = temp.RandomFile("large.bin", 8 * 1024 * 1024);
        var trackerPort = FreePort.Tcp();

        await using (var first = NodeProcess.Start(temp.Folder("node"), NodeArguments(temp, trackerPort)))
        {
            await first.SendAsync("file:" + seeded);
            await first.ReadUntilAsync(l => l == "1:seeded.bin:100", Wait);
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(Wait));
        }

        var database = temp.Combine("state", "torrentactors.db");
        var goodBytes = new FileInfo(database).Length;
        await using (var full = NodeProcess.StartWithFileSizeLimit(temp.Path, goodBytes, NodeArguments(temp, trackerPort)))
        {
            await full.ReadUntilAsync(l => l == "1:seeded.bin:100", Wait);
            await full.SendAsync("file:" + large);
            var lines = await full.ReadUntilAsync(l => Protocol.IsError(l) || l.StartsWith("2:", StringComparison.Ordinal), Wait);
            Assert.StartsWith($"error: file:{large}: the state could not be saved", lines[^1], StringComparison.Ordinal);
            await full.WaitUntilAsync(() => full.Stderr.Contains("Writing the torrent registry to " + database + " failed", StringComparison.Ordinal), Wait, "the write error on stderr");
            Assert.False(full.HasExited, "the node exited after the failed write:\n" + full.Stderr);

            // Remote control still answers, with the last good state.
            var address = Regex.Match(full.Stderr, @"remote control at (?<a>akka\.tcp://\S+)").Groups["a"].Value;
            var status = await TestProcess.RunAsync("dotnet", [NodeBuild.DllPath, "status", "--node", address], temp.Path, Wait);
            Assert.True(status.ExitCode == 0, status.Stderr);
            Assert.Equal(["1:seeded.bin:100"], status.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // And the torrent it held keeps seeding: aria2c downloads it after the failure.
            var output = temp.Folder("aria2");
            var result = await TestProcess.RunAsync(aria2c,
                [
                    "--no-conf", "--interface=127.0.0.1", "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false",
                    "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--seed-time=0", "--summary-interval=0",
                    "--dir=" + output, temp.Combine("torrents", "seeded.bin.torrent"),
                ],
                timeout: TimeSpan.FromSeconds(120));
            Assert.True(result.ExitCode == 0, $"aria2c exit {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}\nnode stderr:\n{full.Stderr}");
            Assert.Equal(File.ReadAllBytes(seeded), File.ReadAllBytes(Path.Combine(output, "seeded.bin")));
            Assert.False(full.HasExited);

            // The journal was started again after its back-off and read the last good state back.
            await full.WaitUntilAsync(() => full.Stderr.Contains("The torrent registry can be written again", StringComparison.Ordinal), Wait, "the journal back");
            full.Terminate();
            Assert.Equal(0, await full.WaitForExitAsync(Wait));
            Assert.True(Protocol.IsClean(full.AllStdout));
        }

        // The disk has room again: the last good state is there, and the ID the failed command never got is given now.
        await using var again = NodeProcess.Start(temp.Folder("node"), NodeArguments(temp, trackerPort));
        await again.ReadUntilAsync(l => l == "1:seeded.bin:100", Wait);
        await again.SendAsync("file:" + large);
        var after = await again.ReadUntilAsync(l => l.EndsWith(":large.bin:100", StringComparison.Ordinal) || Protocol.IsError(l), Wait);
        Assert.Equal("2:large.bin:100", after[^1]);
        Assert.Contains("(0 hashed)", again.Stderr, StringComparison.Ordinal);
    }
}
