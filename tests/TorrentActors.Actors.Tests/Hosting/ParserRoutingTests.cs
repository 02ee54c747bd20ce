using TorrentActors.Actors.Tests.Support;
using TorrentActors.Actors.Writing;
using Xunit;

namespace TorrentActors.Actors.Tests.Hosting;

/// <summary>Lines on stdin go through the production wiring: bridge → parser → the right actor → stdout.</summary>
public class ParserRoutingTests
{
    [Fact]
    public async Task Unknown_commands_get_an_error_line_and_the_node_keeps_going()
    {
        await using var node = await TestNode.StartAsync();
        await node.SendAsync("hello");
        await node.SendAsync("");
        await node.SendAsync("stop:x");
        Assert.StartsWith("error: hello: unknown command", await node.Stdout.NextAsync());
        Assert.Equal("error: stop:x: the ID must be a positive whole number", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task File_commands_reach_the_maker_which_reports_a_missing_file()
    {
        await using var node = await TestNode.StartAsync();
        var missing = Path.Combine(node.Root, "nope.bin");
        await node.SendAsync("file:" + missing);
        Assert.Equal($"error: file:{missing}: no such file", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task Relative_torrent_paths_reach_the_file_fetcher_and_the_torrent_starts()
    {
        await using var node = await TestNode.StartAsync();
        var torrent = TestTorrents.Make("clip.bin");
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, torrent);

        await node.SendAsync("  torrent:clip.bin.torrent\r");
        Assert.Equal("1:clip.bin:-1", await node.Stdout.NextAsync());
        Assert.Equal("1:clip.bin:100", await node.Stdout.NextAsync());
        var session = Assert.Single(node.Engine.Sessions);
        Assert.Equal(node.Settings.DownloadDirectory, session.Options.DownloadDirectory);
        Assert.False(session.Options.DataVerified);
    }

    [Fact]
    public async Task Id_commands_for_unknown_torrents_are_errors()
    {
        await using var node = await TestNode.StartAsync();
        await node.SendAsync("stop:4");
        await node.SendAsync("start:5");
        await node.SendAsync("remove:6");
        Assert.Equal("error: stop:4: no torrent with ID 4", await node.Stdout.NextAsync());
        Assert.Equal("error: start:5: no torrent with ID 5", await node.Stdout.NextAsync());
        Assert.Equal("error: remove:6: no torrent with ID 6", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task A_megabyte_line_gives_one_error_and_the_next_command_is_served()
    {
        await using var node = await TestNode.StartAsync();
        await node.SendAsync(new string('g', 1024 * 1024));
        await node.SendAsync("nonsense");
        var error = await node.Stdout.NextAsync();
        Assert.StartsWith("error: gggg", error);
        Assert.EndsWith("the line is 1048576 characters; the limit is 65536", error);
        Assert.StartsWith("error: nonsense:", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task Status_writes_a_line_for_every_torrent()
    {
        await using var node = await TestNode.StartAsync();
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, TestTorrents.Make("a.bin"));
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, TestTorrents.Make("b.bin"));
        await node.SendAsync("torrent:a.bin.torrent");
        await node.Stdout.WaitForAsync(l => l == "1:a.bin:100");
        await node.SendAsync("torrent:b.bin.torrent");
        await node.Stdout.WaitForAsync(l => l == "2:b.bin:100");

        await node.SendAsync("status");
        Assert.Equal("1:a.bin:100", await node.Stdout.NextAsync());
        Assert.Equal("2:b.bin:100", await node.Stdout.NextAsync());
    }
}
