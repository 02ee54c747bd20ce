using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>Two real node processes: node A seeds a file, node B fetches its torrent and downloads it.</summary>
public class SeedAndFetchTests
{
    private static readonly TimeSpan Transfer = TimeSpan.FromSeconds(120);

    private static NodeProcess StartSeeder(TempFolder temp, params string[] extra) =>
        NodeProcess.Start(temp.Folder("a"), ["--torrent-dir", temp.Combine("a", "torrents"), "--download-dir", temp.Combine("a", "downloads"), "--tracker-port", "0", "--listen-port", "0", .. extra]);

    private static NodeProcess StartLeecher(TempFolder temp, params string[] extra) =>
        NodeProcess.Start(temp.Folder("b"), ["--torrent-dir", temp.Combine("b", "torrents"), "--download-dir", temp.Combine("b", "downloads"), "--no-tracker", "--listen-port", "0", .. extra]);

    [Fact]
    public async Task Seeding_a_file_writes_its_torrent_and_reports_minus_one_then_100()
    {
        using var temp = new TempFolder();
        var data = temp.RandomFile("movie.bin", 3 * 1024 * 1024 + 17);
        await using var a = StartSeeder(temp);
        var tracker = await Protocol.WaitForTrackerUrlAsync(a, TimeSpan.FromSeconds(60));

        await a.SendAsync("file:" + data);
        Assert.Equal("1:movie.bin:-1", await a.NextLineAsync());
        Assert.Equal("1:movie.bin:100", await a.NextLineAsync());

        var torrent = Torrent.Load(temp.Combine("a", "torrents", "movie.bin.torrent"));
        Assert.Equal("movie.bin", torrent.Name);
        Assert.Equal(new FileInfo(data).Length, torrent.TotalLength);
        Assert.Equal(tracker + "/announce", torrent.Announce);
        Assert.True(Protocol.IsClean(a.AllStdout));
    }

    [Fact]
    public async Task A_second_node_downloads_the_seeded_file_from_a_torrent_url()
    {
        using var temp = new TempFolder();
        var data = temp.RandomFile("clip.bin", 5 * 1024 * 1024 + 3);
        await using var a = StartSeeder(temp);
        var tracker = await Protocol.WaitForTrackerUrlAsync(a, TimeSpan.FromSeconds(60));
        await a.SendAsync("file:" + data);
        await a.ReadUntilAsync(l => l == "1:clip.bin:100");

        await using var b = StartLeecher(temp, "--exit-when-complete");
        await b.SendAsync($"torrent:{tracker}/torrents/clip.bin.torrent");
        await AssertDownloadAsync(b, "clip.bin");
        Assert.Equal(0, await b.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(File.ReadAllBytes(data), File.ReadAllBytes(temp.Combine("b", "downloads", "clip.bin")));
    }

    [Fact]
    public async Task A_second_node_downloads_the_seeded_file_from_a_torrent_path()
    {
        using var temp = new TempFolder();
        var data = temp.RandomFile("song.bin", 2 * 1024 * 1024 + 99);
        await using var a = StartSeeder(temp);
        await Protocol.WaitForTrackerUrlAsync(a, TimeSpan.FromSeconds(60));
        await a.SendAsync("file:" + data);
        await a.ReadUntilAsync(l => l == "1:song.bin:100");

        await using var b = StartLeecher(temp);
        await b.SendAsync("torrent:" + temp.Combine("a", "torrents", "song.bin.torrent"));
        await AssertDownloadAsync(b, "song.bin");
        Assert.Equal(File.ReadAllBytes(data), File.ReadAllBytes(temp.Combine("b", "downloads", "song.bin")));
    }

    [Fact]
    public async Task Exit_when_complete_exits_0_once_the_seed_is_at_100()
    {
        using var temp = new TempFolder();
        var data = temp.RandomFile("done.bin", 100_000);
        await using var a = StartSeeder(temp, "--exit-when-complete");
        await a.SendAsync("file:" + data);
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(["1:done.bin:-1", "1:done.bin:100"], a.AllStdout);
    }

    [Fact]
    public async Task Exit_on_eof_ends_the_node_when_stdin_closes()
    {
        using var temp = new TempFolder();
        await using var a = StartSeeder(temp, "--exit-on-eof", "--no-tracker");
        await a.SendAsync("status");
        a.CloseStdin();
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Without_exit_on_eof_the_node_keeps_seeding_after_stdin_closes()
    {
        using var temp = new TempFolder();
        var data = temp.RandomFile("kept.bin", 100_000);
        await using var a = StartSeeder(temp);
        await a.SendAsync("file:" + data);
        await a.ReadUntilAsync(l => l == "1:kept.bin:100");
        a.CloseStdin();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!a.Stderr.Contains("End of input: no more commands; the node keeps running", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Contains("the node keeps running", a.Stderr);
        var port = int.Parse(System.Text.RegularExpressions.Regex.Match(a.Stderr, @"peers on 127\.0\.0\.1:(\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        using var peer = new System.Net.Sockets.TcpClient();
        await peer.ConnectAsync(System.Net.IPAddress.Loopback, port);
        Assert.False(a.HasExited);
    }

    [Fact]
    public async Task Sigterm_stops_gracefully_with_exit_code_0_and_the_tracker_sees_stopped()
    {
        using var temp = new TempFolder();
        await using var tracker = new MiniTracker();
        var data = temp.RandomFile("bye.bin", 200_000);
        await using var a = StartSeeder(temp, "--tracker", tracker.AnnounceUrl);
        await a.SendAsync("file:" + data);
        await a.ReadUntilAsync(l => l == "1:bye.bin:100");
        await tracker.WaitForAsync(requests => requests.Any(r => r.Contains("event=started", StringComparison.Ordinal)), TimeSpan.FromSeconds(60));

        a.Terminate();
        Assert.Equal(0, await a.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(tracker.Requests, r => r.Contains("event=stopped", StringComparison.Ordinal));
    }

    /// <summary>-1 first, then rising percentages, ending at 100.</summary>
    private static async Task AssertDownloadAsync(NodeProcess node, string name)
    {
        var lines = await node.ReadUntilAsync(l => l == $"1:{name}:100" || Protocol.IsError(l), Transfer);
        Assert.Equal($"1:{name}:-1", lines[0]);
        Assert.Equal($"1:{name}:100", lines[^1]);
        var percents = lines.Select(Protocol.PercentOf).ToList();
        Assert.Equal(percents.Order(), percents);
        Assert.Equal(percents.Distinct().Count(), percents.Count);
    }
}
