using System.Text;
using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Engine.Making;
using Xunit;
using Xunit.Abstractions;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// IDs follow the order commands arrive in, whichever command's work finishes first: a parent program that writes
/// several commands at once can tell which ID answers which of them. A command that fails uses up its number.
/// </summary>
public sealed class ArrivalOrderTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Commands_written_in_one_go_get_their_IDs_in_the_order_they_arrived_though_their_work_finishes_out_of_order()
    {
        using var temp = new TempFolder();
        var big = temp.RandomFile("big.bin", 48 * 1024 * 1024);
        var small = temp.RandomFile("small.bin", 10_000);
        var medium = temp.RandomFile("medium.bin", 1_000_000);
        var remote = temp.RandomFile("remote.bin", 300_000);
        var torrent = await TorrentMaker.CreateAsync(remote, new TorrentMakerOptions());
        var torrentPath = temp.Combine("remote.bin.torrent");
        await File.WriteAllBytesAsync(torrentPath, torrent.EncodedBytes.ToArray());
        await using var node = NodeProcess.Start(
            temp.Folder("node"),
            "--torrent-dir", temp.Combine("node", "torrents"), "--download-dir", temp.Combine("node", "downloads"), "--state-dir", temp.Combine("node", "state"),
            "--no-tracker", "--no-remote", "--listen-port", "0");
        await node.WaitForOutputAsync("torrentactors: peers on", Wait);

        // One write: the big file takes longest to make, the download's .torrent is only read.
        var lines = new[] { "file:" + big, "file:" + small, "torrent:" + torrentPath, "file:" + temp.Combine("missing.bin"), "file:" + medium };
        await node.SendBytesAsync(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));

        string[] expected = ["1:big.bin:-1", "2:small.bin:-1", "3:remote.bin:-1"];
        await node.WaitUntilAsync(
            () => expected.All(node.AllStdout.Contains) && node.AllStdout.Any(l => l.EndsWith(":medium.bin:-1", StringComparison.Ordinal))
                && node.AllStdout.Any(l => l.StartsWith("error:", StringComparison.Ordinal)),
            Wait,
            "a first line for each torrent and the error");
        var firsts = node.AllStdout.Where(l => l.EndsWith(":-1", StringComparison.Ordinal)).ToList();
        output.WriteLine("first lines in the order printed: " + string.Join(", ", firsts));
        Assert.Contains(node.AllStdout, l => l.StartsWith("error: file:" + temp.Combine("missing.bin") + ":", StringComparison.Ordinal));

        // The failed command's number is a gap when medium.bin took the next one before the failure came back (5), or
        // given back first (4).
        var mediumLine = firsts.Single(l => l.EndsWith(":medium.bin:-1", StringComparison.Ordinal));
        Assert.True(mediumLine is "5:medium.bin:-1" or "4:medium.bin:-1", mediumLine);
        Assert.Equal([.. expected, mediumLine], firsts.Order(StringComparer.Ordinal));

        // The next command continues after the highest number given.
        var next = (mediumLine[0] - '0') + 1;
        var later = temp.RandomFile("later.bin", 5_000);
        await node.SendAsync("file:" + later);
        await node.WaitUntilAsync(() => node.AllStdout.Contains($"{next}:later.bin:-1"), Wait, "the next ID after the highest given");
    }
}
