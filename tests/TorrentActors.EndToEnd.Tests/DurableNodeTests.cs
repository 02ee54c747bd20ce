using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Interop.Tests.Tools;
using Xunit;
using Xunit.Abstractions;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// A node that remembers, with real peers: its own tracker as a process and aria2c as seeder or leecher, nodes
/// stopped with SIGTERM or killed with SIGKILL and started again on the same folders.
/// </summary>
public sealed partial class DurableNodeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"Torrent (?<hash>[0-9a-f]{40}) started with (?<have>\d+)/(?<pieces>\d+) pieces \((?<hashed>\d+) hashed\)")]
    private static partial Regex SessionStarted();

    private static string[] NodeArguments(TempFolder temp, string? announceUrl, params string[] extra) =>
    [
        "--torrent-dir", temp.Combine("torrents"), "--download-dir", temp.Combine("downloads"), "--state-dir", temp.Combine("state"),
        "--no-tracker", .. announceUrl is null ? Array.Empty<string>() : ["--tracker", announceUrl], "--no-remote", "--listen-port", "0", .. extra,
    ];

    private static NodeProcess StartNode(TempFolder temp, string? announceUrl, params string[] extra) =>
        NodeProcess.Start(temp.Folder("node"), NodeArguments(temp, announceUrl, extra));

    private static async Task<int> SeedAsync(NodeProcess node, string path)
    {
        var name = Path.GetFileName(path);
        await node.SendAsync("file:" + path);
        var lines = await node.ReadUntilAsync(l => l.EndsWith($":{name}:100", StringComparison.Ordinal) || Protocol.IsError(l), Wait);
        Assert.False(Protocol.IsError(lines[^1]), lines[^1]);
        return int.Parse(lines[^1].Split(':')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>A file of pseudo-random bytes from <paramref name="seed"/>, written 1 MiB at a time.</summary>
    private static string RandomFile(string path, long length, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        var chunk = new byte[1024 * 1024];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        for (long left = length; left > 0; left -= chunk.Length)
        {
            random.NextBytes(chunk);
            stream.Write(chunk, 0, (int)Math.Min(chunk.Length, left));
        }

        return path;
    }

    private static bool SameBytes(string a, string b)
    {
        using var x = File.OpenRead(a);
        using var y = File.OpenRead(b);
        if (x.Length != y.Length)
        {
            return false;
        }

        var bufferX = new byte[1 << 20];
        var bufferY = new byte[1 << 20];
        int read;
        while ((read = x.Read(bufferX)) > 0)
        {
            y.ReadExactly(bufferY, 0, read);
            if (!bufferX.AsSpan(0, read).SequenceEqual(bufferY.AsSpan(0, read)))
            {
                return false;
            }
        }

        return true;
    }

    [SkippableFact]
    public async Task After_SIGTERM_three_seeded_files_and_a_finished_download_seed_again_under_their_IDs_without_being_hashed_and_aria2c_downloads_from_the_restarted_node()
    {
        var aria2c = ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var (tracker, announce) = await Swarm.StartTrackerAsync(temp.Folder("tracker"));
        await using var trackerProcess = tracker;
        var a = RandomFile(temp.Combine("src", "a.bin"), 1024 * 1024 + 1, 1);
        var b = RandomFile(temp.Combine("src", "b.bin"), 700_000, 2);
        var c = RandomFile(temp.Combine("src", "c.bin"), 300_000, 3);
        var d = RandomFile(temp.Combine("remote", "d.bin"), 3 * 1024 * 1024 + 7, 4);
        var dTorrent = await Swarm.MakeTorrentAsync(d, announce, temp.Combine("d.bin.torrent"));

        await using (var seeder = await Aria2Seeder.StartAsync(aria2c, dTorrent, temp.Combine("remote")))
        await using (var first = StartNode(temp, announce))
        {
            Assert.Equal(1, await SeedAsync(first, a));
            Assert.Equal(2, await SeedAsync(first, b));
            Assert.Equal(3, await SeedAsync(first, c));
            await first.SendAsync("torrent:" + dTorrent);
            await first.ReadUntilAsync(l => l == "4:d.bin:100", Wait);
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(Wait));
        }

        // aria2c is gone: the restarted node can only have d.bin from its own disk.
        Assert.True(SameBytes(d, temp.Combine("downloads", "d.bin")));
        await using var second = StartNode(temp, announce);
        string[] expected = ["1:a.bin:100", "2:b.bin:100", "3:c.bin:100", "4:d.bin:100"];
        await second.WaitUntilAsync(() => expected.All(second.AllStdout.Contains), Wait, "all four torrents back at 100");
        Assert.Equal(["1:a.bin:-1", "1:a.bin:100", "2:b.bin:-1", "2:b.bin:100", "3:c.bin:-1", "3:c.bin:100", "4:d.bin:-1", "4:d.bin:100"], second.AllStdout.Order(StringComparer.Ordinal));

        // No piece was read to check it: every session started with all its pieces from the resume data.
        var starts = SessionStarted().Matches(second.Stderr);
        Assert.Equal(4, starts.Count);
        Assert.All(starts, m =>
        {
            Assert.Equal("0", m.Groups["hashed"].Value);
            Assert.Equal(m.Groups["pieces"].Value, m.Groups["have"].Value);
        });

        var output = temp.Folder("aria2");
        var result = await TestProcess.RunAsync(aria2c, [.. Swarm.Aria2BaseOptions(FreePort.Tcp()), "--seed-time=0", "--dir=" + output, dTorrent], timeout: TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, $"aria2c exit {result.ExitCode}:\n{result.Stdout}\n{result.Stderr}\nnode stderr:\n{second.Stderr}");
        Assert.True(SameBytes(d, Path.Combine(output, "d.bin")));
        Assert.True(Protocol.IsClean(second.AllStdout));
    }

    [Fact]
    public async Task After_a_restart_json_output_shows_each_torrent_seeding_or_stopped()
    {
        using var temp = new TempFolder();
        var a = RandomFile(temp.Combine("src", "a.bin"), 200_000, 5);
        var b = RandomFile(temp.Combine("src", "b.bin"), 100_000, 6);
        await using (var first = StartNode(temp, null))
        {
            Assert.Equal(1, await SeedAsync(first, a));
            Assert.Equal(2, await SeedAsync(first, b));
            await first.SendAsync("stop:2");
            await first.WaitUntilAsync(() => first.Stderr.Contains("stop:2 done", StringComparison.Ordinal), Wait, "stop:2 done");
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(Wait));
        }

        await using var second = StartNode(temp, null, "--json");
        JsonElement? Last(int id) => second.AllStdout
            .Select(l => JsonDocument.Parse(l).RootElement)
            .LastOrDefault(e => e.TryGetProperty("id", out var i) && i.GetInt32() == id) is { ValueKind: JsonValueKind.Object } found ? found : null;
        await second.WaitUntilAsync(() => Last(1) is { } one && one.GetProperty("percent").GetInt32() == 100 && Last(2) is not null, Wait, "both torrents back");
        await second.SendAsync("status");
        await Task.Delay(500);

        var seeding = Last(1)!.Value;
        Assert.Equal("a.bin", seeding.GetProperty("name").GetString());
        Assert.Equal("seeding", seeding.GetProperty("state").GetString());
        var stopped = Last(2)!.Value;
        Assert.Equal("b.bin", stopped.GetProperty("name").GetString());
        Assert.Equal("stopped", stopped.GetProperty("state").GetString());
        Assert.Equal(-1, stopped.GetProperty("percent").GetInt32());
        Assert.DoesNotContain(second.AllStdout, l => l.Contains("\"error\"", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_256_MiB_download_killed_near_half_way_continues_after_a_restart_and_fetches_again_at_most_the_last_resume_interval()
    {
        const long total = 256L * 1024 * 1024;
        const long rate = 10L * 1024 * 1024; // aria2c's upload limit: 10 MiB/s, about 13 s to half way
        const long pieceLength = 256 * 1024;
        var resumeInterval = TimeSpan.FromSeconds(5); // the issue's bound; the node writes every 4 s
        var aria2c = ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var (tracker, announce) = await Swarm.StartTrackerAsync(temp.Folder("tracker"));
        await using var trackerProcess = tracker;
        var source = RandomFile(temp.Combine("remote", "big.bin"), total, 256);
        var torrent = await Swarm.MakeTorrentAsync(source, announce, temp.Combine("big.bin.torrent"), pieceLength);
        await using var seeder = await Aria2Seeder.StartAsync(aria2c, torrent, temp.Combine("remote"), uploadLimit: "10M");

        int percentAtKill;
        await using (var first = StartNode(temp, null))
        {
            await first.SendAsync("torrent:" + torrent);
            var lines = await first.ReadUntilAsync(l => l.StartsWith("1:big.bin:", StringComparison.Ordinal) && Protocol.PercentOf(l) >= 48, TimeSpan.FromSeconds(120));
            first.Signal(9);
            Assert.Equal(137, await first.WaitForExitAsync(Wait));
            percentAtKill = Protocol.PercentOf(lines[^1]);
        }

        var uploadedAtKill = await seeder.UploadedAsync();
        await using (var second = StartNode(temp, null))
        {
            await second.ReadUntilAsync(l => l == "1:big.bin:100", TimeSpan.FromSeconds(150));
            second.Terminate();
            Assert.Equal(0, await second.WaitForExitAsync(Wait));
        }

        var fetchedAfterRestart = await seeder.UploadedAsync() - uploadedAtKill;
        var verifiedAtKill = total * percentAtKill / 100;
        var partialPieces = 32 * pieceLength;
        var bound = (total - verifiedAtKill) + (long)(resumeInterval.TotalSeconds * rate) + partialPieces;
        output.WriteLine($"killed at {percentAtKill}%; fetched after the restart {fetchedAfterRestart:N0} bytes; bound {bound:N0}; still missing at the kill {total - verifiedAtKill:N0}");
        Assert.True(
            fetchedAfterRestart <= bound,
            $"fetched {fetchedAfterRestart:N0} bytes after the restart; at the kill {percentAtKill}% ({verifiedAtKill:N0} bytes) was verified; bound {bound:N0}");
        Assert.True(fetchedAfterRestart > 0, "nothing was fetched after the restart");
        Assert.True(SameBytes(source, temp.Combine("downloads", "big.bin")), "the download differs from the source");
    }
}
