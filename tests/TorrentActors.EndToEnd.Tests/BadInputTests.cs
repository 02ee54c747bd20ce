using System.Text;
using TorrentActors.Actors.Tests.Support;
using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>Bad input gives one <c>error:</c> line each, and the node still serves the next good command.</summary>
public class BadInputTests
{
    private static NodeProcess StartNode(TempFolder temp, params string[] extra) =>
        NodeProcess.Start(temp.Path, ["--torrent-dir", temp.Combine("torrents"), "--download-dir", temp.Combine("downloads"), "--no-tracker", "--listen-port", "0", .. extra]);

    [Fact]
    public async Task Every_kind_of_bad_input_gets_one_error_line_and_the_node_keeps_serving()
    {
        using var temp = new TempFolder();
        var notTorrent = temp.Combine("notes.torrent");
        await File.WriteAllTextAsync(notTorrent, "these are not the bytes you are looking for");
        var good = temp.RandomFile("good.bin", 50_000);

        Uri closed;
        await using (var gone = new MiniHttpServer(MiniHttpServer.Respond(200, [])))
        {
            closed = gone.Url("/gone.torrent");
        }

        await using var big = new MiniHttpServer(MiniHttpServer.Respond(200, new byte[8 * 1024 * 1024]));
        await using var node = StartNode(temp);

        async Task ExpectErrorAsync(string expectedStart)
        {
            var line = await node.NextLineAsync();
            Assert.StartsWith(expectedStart, line);
        }

        await node.SendAsync("fetch:everything");
        await ExpectErrorAsync("error: fetch:everything: unknown command");

        var missing = temp.Combine("missing.bin");
        await node.SendAsync("file:" + missing);
        await ExpectErrorAsync($"error: file:{missing}: no such file");

        await node.SendAsync("torrent:" + notTorrent);
        await ExpectErrorAsync($"error: torrent:{notTorrent}: not a");

        await node.SendAsync("torrent:" + closed);
        await ExpectErrorAsync($"error: torrent:{closed}: unreachable");

        var bigUrl = big.Url("/big.torrent");
        await node.SendAsync("torrent:" + bigUrl);
        await ExpectErrorAsync($"error: torrent:{bigUrl}: the body is 8388608 bytes; the limit is");

        await node.SendAsync(new string('#', 1024 * 1024));
        await ExpectErrorAsync("error: ########################################…: the line is 1048576 characters; the limit is 65536");

        var noise = new byte[4096];
        new Random(7).NextBytes(noise);
        for (var i = 0; i < noise.Length; i++)
        {
            if (noise[i] is (byte)'\n' or (byte)'\r')
            {
                noise[i] = 0xFF;
            }
        }

        await node.SendBytesAsync([.. noise, (byte)'\n']);
        await ExpectErrorAsync("error: ");

        await node.SendAsync("file:" + good);
        Assert.Equal("1:good.bin:-1", await node.NextLineAsync());
        Assert.Equal("1:good.bin:100", await node.NextLineAsync());
        Assert.True(Protocol.IsClean(node.AllStdout), string.Join("\n", node.AllStdout));
        Assert.Equal(9, node.AllStdout.Count);
        Assert.False(node.HasExited);
    }

    [SkippableFact]
    public async Task A_folder_the_node_cannot_read_gets_a_permission_error()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes only");
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        // root reads any folder whatever its mode, so as root the node runs as 'nobody' (uid 65534) via setpriv.
        var isRoot = Environment.UserName == "root";
        var setpriv = isRoot ? ExternalTool.Require("setpriv", "util-linux") : null;
        using var temp = new TempFolder();
        File.SetUnixFileMode(temp.Path, (UnixFileMode)0b111_111_111);
        var locked = temp.Folder("locked");
        File.WriteAllText(Path.Combine(locked, "inside.bin"), "secret");
        File.SetUnixFileMode(locked, UnixFileMode.None);

        await using var node = NodeProcess.StartAs(temp.Path, setpriv, ["--torrent-dir", temp.Combine("torrents"), "--download-dir", temp.Combine("downloads"), "--no-tracker", "--listen-port", "0"]);
        await node.SendAsync("file:" + locked);
        Assert.Equal($"error: file:{locked}: permission denied", await node.NextLineAsync());
        await node.SendAsync("nonsense");
        Assert.StartsWith("error: nonsense:", await node.NextLineAsync());
    }

    [Fact]
    public async Task Json_mode_reports_errors_and_progress_as_json_objects()
    {
        using var temp = new TempFolder();
        var good = temp.RandomFile("j.bin", 20_000);
        await using var node = StartNode(temp, "--json");
        await node.SendAsync("nonsense");
        using (var error = System.Text.Json.JsonDocument.Parse(await node.NextLineAsync()))
        {
            Assert.Equal("nonsense", error.RootElement.GetProperty("command").GetString());
            Assert.StartsWith("unknown command", error.RootElement.GetProperty("error").GetString());
        }

        await node.SendAsync("file:" + good);
        using var first = System.Text.Json.JsonDocument.Parse(await node.NextLineAsync());
        Assert.Equal(1, first.RootElement.GetProperty("id").GetInt32());
        Assert.Equal("j.bin", first.RootElement.GetProperty("name").GetString());
        Assert.Equal(-1, first.RootElement.GetProperty("percent").GetInt32());
        Assert.Equal(40, first.RootElement.GetProperty("infohash").GetString()!.Length);
        using var last = System.Text.Json.JsonDocument.Parse(await node.NextLineAsync());
        Assert.Equal(100, last.RootElement.GetProperty("percent").GetInt32());
        Assert.Equal("seeding", last.RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Stop_start_remove_and_status_work_on_a_running_torrent_and_each_command_answers_one_line()
    {
        using var temp = new TempFolder();
        var good = temp.RandomFile("ctl.bin", 20_000);
        await using var node = StartNode(temp);
        await node.SendAsync("file:" + good);
        await node.ReadUntilAsync(l => l == "1:ctl.bin:100");
        await node.SendAsync("status");
        Assert.Equal("1:ctl.bin:100", await node.NextLineAsync());
        await node.SendAsync("stop:1");
        Assert.Equal("1:ctl.bin:stopped", await node.NextLineAsync());
        await node.SendAsync("stop:1");
        Assert.Equal("1:ctl.bin:stopped", await node.NextLineAsync());
        await node.SendAsync("status");
        Assert.Equal("1:ctl.bin:stopped", await node.NextLineAsync());
        await node.SendAsync("start:1");
        Assert.Equal("1:ctl.bin:started", await node.NextLineAsync());
        await node.SendAsync("remove:1");
        Assert.Equal("1:ctl.bin:removed", await node.NextLineAsync());
        await node.SendAsync("stop:1");
        Assert.Equal("error: stop:1: no torrent with ID 1", await node.NextLineAsync());
        Assert.True(File.Exists(good));
        Assert.True(Protocol.IsClean(node.AllStdout));
    }

    [Fact]
    public async Task With_json_each_stop_start_and_remove_answers_one_json_line_and_status_says_stopped()
    {
        using var temp = new TempFolder();
        var good = temp.RandomFile("ctl.bin", 20_000);
        await using var node = StartNode(temp, "--json");
        await node.SendAsync("file:" + good);
        await node.ReadUntilAsync(l => l.Contains("\"percent\":100", StringComparison.Ordinal));

        await node.SendAsync("stop:1");
        Assert.Equal("""{"id":1,"name":"ctl.bin","answer":"stopped","command":"stop:1"}""", await node.NextLineAsync());
        await node.SendAsync("status");
        using (var status = System.Text.Json.JsonDocument.Parse(await node.NextLineAsync()))
        {
            Assert.Equal("stopped", status.RootElement.GetProperty("state").GetString());
            Assert.Equal(100, status.RootElement.GetProperty("percent").GetInt32());
        }

        await node.SendAsync("start:1");
        Assert.Equal("""{"id":1,"name":"ctl.bin","answer":"started","command":"start:1"}""", await node.NextLineAsync());
        await node.SendAsync("remove:1");
        Assert.Equal("""{"id":1,"name":"ctl.bin","answer":"removed","command":"remove:1"}""", await node.NextLineAsync());
        await node.SendAsync("remove:1");
        Assert.Equal("""{"error":"no torrent with ID 1","command":"remove:1"}""", await node.NextLineAsync());
    }
}
