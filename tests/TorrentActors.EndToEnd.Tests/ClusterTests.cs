using System.Text.RegularExpressions;
using TorrentActors.EndToEnd.Tests.Support;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>Real node processes as cluster members on 127.0.0.1 (every port 0): commands on any member share one catalog.</summary>
public sealed partial class ClusterTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_members_give_distinct_IDs_from_one_catalog_every_member_keeps_it_and_the_same_file_keeps_its_ID()
    {
        using var temp = new TempFolder();
        var a = temp.RandomFile("a.bin", 200_000);
        var b = temp.RandomFile("b.bin", 150_000);
        var made = await TestProcess.RunAsync("dotnet", [NodeBuild.DllPath, "make", b, "-o", temp.Combine("b.torrent"), "-d"], temp.Path, Wait);
        Assert.True(made.ExitCode == 0, made.Stderr);

        await using var n1 = StartMember(temp, "n1");
        var seed = await WaitForRemoteAddressAsync(n1);
        await using var n2 = StartMember(temp, "n2", "--seed-node", seed);
        await using var n3 = StartMember(temp, "n3", "--seed-node", seed);
        await n3.WaitUntilAsync(() => n3.Stderr.Contains("Singleton identified at", StringComparison.Ordinal), Wait, "node 3 finds the catalog's keeper");
        Assert.Matches(@"torrentactors: cluster member n3 at akka\.tcp://torrentactors@127\.0\.0\.1:\d+, seeds " + Regex.Escape(seed), n3.Stderr);

        // Lines of torrent 1 may come between: the members placement chose start to download it (from nobody here).
        await n3.SendAsync("torrent:" + temp.Combine("b.torrent"));
        Assert.Equal("1:b.bin:-1", (await n3.ReadUntilAsync(l => l.StartsWith("1:", StringComparison.Ordinal), Wait))[^1]);
        await n1.SendAsync("file:" + a);
        var seeded = (await n1.ReadUntilAsync(l => l == "2:a.bin:100", Wait)).Where(l => l.StartsWith("2:", StringComparison.Ordinal));
        Assert.Equal(["2:a.bin:-1", "2:a.bin:100"], seeded);

        await n2.WaitUntilAsync(
            () => CatalogLine(1, "b.bin").IsMatch(n2.Stderr) && CatalogLine(2, "a.bin").IsMatch(n2.Stderr),
            Wait,
            "node 2 keeps both torrents of the catalog");

        await n1.SendAsync("file:" + a);
        Assert.Equal("2:a.bin:-1", (await n1.ReadUntilAsync(l => l.StartsWith("2:", StringComparison.Ordinal), Wait))[^1]);
        Assert.Single(n3.AllStdout, "1:b.bin:-1");

        await using var stop = NodeProcess.Start(temp.Path, ["send", "--node", await WaitForRemoteAddressAsync(n2), "stop:1", "stop:9"]);
        stop.CloseStdin();
        Assert.Equal(1, await stop.WaitForExitAsync(Wait));
        Assert.Equal(["1:b.bin:stopped", "error: stop:9: no torrent with ID 9"], stop.AllStdout);
        await n3.WaitUntilAsync(() => n3.Stderr.Contains("torrent 1 b.bin", StringComparison.Ordinal) && n3.Stderr.Contains("is Stopped, version 3", StringComparison.Ordinal), Wait, "node 3 sees torrent 1 stopped");
        Assert.All(new[] { n1, n2, n3 }, node => Assert.False(node.HasExited, node.Describe()));
    }

    [Fact]
    public async Task A_cluster_member_without_remoting_is_a_bad_setting()
    {
        using var temp = new TempFolder();
        await using var node = NodeProcess.Start(temp.Path, ["run", "--cluster", "--no-remote", "--no-tracker", "--state-dir", temp.Combine("state")]);
        node.CloseStdin();

        Assert.Equal(2, await node.WaitForExitAsync(Wait));
        Assert.Contains("torrentactors: --cluster needs the remote-control endpoint", node.Stderr, StringComparison.Ordinal);
        Assert.Empty(node.AllStdout);
    }

    private static NodeProcess StartMember(TempFolder temp, string name, params string[] extra) =>
        NodeProcess.Start(
            temp.Path,
            [
                "run", "--cluster", "--node-name", name, "--tracker-port", "0",
                "--state-dir", temp.Combine(name, "state"), "--torrent-dir", temp.Combine(name, "torrents"), "--download-dir", temp.Combine(name, "downloads"),
                .. extra,
            ]);

    private static Regex CatalogLine(int id, string name) =>
        new($@"Catalog on this member: torrent {id} {Regex.Escape(name)} \([0-9a-f]{{40}}\) is Running");

    private static async Task<string> WaitForRemoteAddressAsync(NodeProcess node)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline && !node.HasExited)
        {
            var match = RemoteAddress().Match(node.Stderr);
            if (match.Success)
            {
                return match.Groups["address"].Value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no remote address on stderr:\n" + node.Stderr);
    }

    [GeneratedRegex(@"torrentactors: remote control at (?<address>akka\.tcp://torrentactors@[^\s]+)")]
    private static partial Regex RemoteAddress();
}
