using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Actors.Tests.Support;
using TorrentActors.Actors.Writing;
using Xunit;

namespace TorrentActors.Actors.Tests.Fetching;

/// <summary>The HTTP and file fetchers through the production wiring, against a local server on 127.0.0.1:0.</summary>
public class FetcherTests
{
    private const long Limit = 64 * 1024;

    private static Task<TestNode> StartNodeAsync(TimeSpan? timeout = null) =>
        TestNode.StartAsync(configure: s => s with { MaxTorrentFileBytes = Limit, HttpTimeout = timeout ?? TimeSpan.FromSeconds(30) });

    [Fact]
    public async Task A_torrent_over_http_is_fetched_and_started()
    {
        var torrent = TestTorrents.Make("web.bin");
        await using var server = new MiniHttpServer(MiniHttpServer.Respond(200, torrent.EncodedBytes.ToArray()));
        await using var node = await StartNodeAsync();
        await node.SendAsync("torrent:" + server.Url("/torrents/web.bin.torrent"));
        Assert.Equal("1:web.bin:-1", await node.Stdout.NextAsync());
        Assert.Equal("1:web.bin:100", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task A_body_declared_over_the_limit_is_refused()
    {
        await using var server = new MiniHttpServer(MiniHttpServer.Respond(200, new byte[Limit + 1]));
        await using var node = await StartNodeAsync();
        var command = "torrent:" + server.Url("/big");
        await node.SendAsync(command);
        Assert.Equal($"error: {command}: the body is {Limit + 1} bytes; the limit is {Limit}", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task A_streamed_body_over_the_limit_is_cut_off_while_reading()
    {
        await using var server = new MiniHttpServer(MiniHttpServer.Respond(200, new byte[Limit * 4], chunked: true));
        await using var node = await StartNodeAsync();
        var command = "torrent:" + server.Url("/stream");
        await node.SendAsync(command);
        Assert.Equal($"error: {command}: more than the limit of {Limit} bytes", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task A_server_that_never_answers_times_out()
    {
        await using var server = new MiniHttpServer((_, ct) => Task.Delay(Timeout.Infinite, ct));
        await using var node = await StartNodeAsync(TimeSpan.FromSeconds(2));
        var command = "torrent:" + server.Url("/slow");
        await node.SendAsync(command);
        Assert.Equal($"error: {command}: no complete answer within 2 s", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task An_unreachable_server_is_reported()
    {
        Uri url;
        await using (var server = new MiniHttpServer(MiniHttpServer.Respond(200, [])))
        {
            url = server.Url("/gone.torrent");
        }

        await using var node = await StartNodeAsync();
        await node.SendAsync("torrent:" + url);
        Assert.Equal($"error: torrent:{url}: unreachable (ConnectionRefused)", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task A_body_that_is_not_a_torrent_is_refused()
    {
        await using var server = new MiniHttpServer(MiniHttpServer.Respond(200, Encoding.UTF8.GetBytes("<html>hello</html>")));
        await using var node = await StartNodeAsync();
        var command = "torrent:" + server.Url("/page");
        await node.SendAsync(command);
        Assert.StartsWith($"error: {command}: not a", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task An_http_error_status_is_reported()
    {
        await using var server = new MiniHttpServer(MiniHttpServer.Respond(404, []));
        await using var node = await StartNodeAsync();
        var command = "torrent:" + server.Url("/missing");
        await node.SendAsync(command);
        Assert.StartsWith($"error: {command}: HTTP request failed (HTTP 404", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task Redirects_are_followed_up_to_a_limit()
    {
        var hits = 0;
        var torrent = TestTorrents.Make("moved.bin");
        MiniHttpServer? server = null;
        server = new MiniHttpServer(async (head, stream, ct) =>
        {
            Interlocked.Increment(ref hits);
            var location = head.StartsWith("GET /loop", StringComparison.Ordinal) ? "/loop" : "/final";
            if (head.StartsWith("GET /final", StringComparison.Ordinal))
            {
                await MiniHttpServer.Respond(200, torrent.EncodedBytes.ToArray())(stream, ct);
                return;
            }

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"), ct);
        });
        await using (server)
        {
            await using var node = await StartNodeAsync();
            await node.SendAsync("torrent:" + server.Url("/start"));
            Assert.Equal("1:moved.bin:-1", await node.Stdout.NextAsync());
            Assert.Equal("1:moved.bin:100", await node.Stdout.NextAsync());

            var loop = "torrent:" + server.Url("/loop");
            var before = Volatile.Read(ref hits);
            await node.SendAsync(loop);
            Assert.Equal($"error: {loop}: HTTP request failed (HTTP 302 Found)", await node.Stdout.NextAsync());
            Assert.Equal(1 + node.Settings.MaxHttpRedirects, Volatile.Read(ref hits) - before);
        }
    }

    [Fact]
    public async Task A_torrent_file_over_the_limit_is_refused()
    {
        await using var node = await StartNodeAsync();
        Directory.CreateDirectory(node.Settings.TorrentDirectory);
        await File.WriteAllBytesAsync(Path.Combine(node.Settings.TorrentDirectory, "huge.torrent"), new byte[Limit + 1]);
        await node.SendAsync("torrent:huge.torrent");
        Assert.Equal($"error: torrent:huge.torrent: the file is {Limit + 1} bytes; the limit is {Limit}", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task A_file_that_is_not_a_torrent_or_is_a_folder_is_refused()
    {
        await using var node = await StartNodeAsync();
        Directory.CreateDirectory(Path.Combine(node.Settings.TorrentDirectory, "folder"));
        await File.WriteAllTextAsync(Path.Combine(node.Settings.TorrentDirectory, "text.torrent"), "d4:spam");
        await node.SendAsync("torrent:text.torrent");
        await node.SendAsync("torrent:folder");
        await node.SendAsync("torrent:absent.torrent");
        // The three reads run concurrently, so their answers may come in any order.
        var lines = new[] { await node.Stdout.NextAsync(), await node.Stdout.NextAsync(), await node.Stdout.NextAsync() };
        Assert.Contains(lines, l => l.StartsWith("error: torrent:text.torrent: not a", StringComparison.Ordinal));
        Assert.Contains("error: torrent:folder: a folder, not a .torrent file", lines);
        Assert.Contains("error: torrent:absent.torrent: no such file", lines);
    }

    [Fact]
    public async Task A_fifo_a_socket_or_a_device_is_refused_at_once_and_the_node_keeps_serving()
    {
        await using var node = await StartNodeAsync();
        var folder = node.Settings.TorrentDirectory;
        Directory.CreateDirectory(folder);
        var fifo = Path.Combine(folder, "fifo.torrent");
        await RunAsync("mkfifo", [fifo]); // no writer: opening it for reading would block
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(Path.Combine(folder, "socket.torrent")));
        TorrentFileStore.Publish(folder, TestTorrents.Make("after.bin"));
        try
        {
            await node.SendAsync("torrent:fifo.torrent");
            await node.SendAsync("torrent:socket.torrent");
            await node.SendAsync("torrent:/dev/zero");
            await node.SendAsync("torrent:after.bin.torrent");

            // The reads run concurrently, so their answers may come in any order; each must come promptly.
            var lines = new List<string>();
            for (var i = 0; i < 5; i++)
            {
                lines.Add(await node.Stdout.NextAsync(TimeSpan.FromSeconds(10)));
            }

            Assert.Contains("error: torrent:fifo.torrent: a FIFO, not a .torrent file", lines);
            Assert.Contains("error: torrent:socket.torrent: a socket, not a .torrent file", lines);
            Assert.Contains("error: torrent:/dev/zero: a device, not a .torrent file", lines);
            // after.bin's ID is the number it took on arrival: 1 if the three refusals came back before it arrived,
            // up to 4 if all four were in flight together.
            var first = Assert.Single(lines, l => l.EndsWith(":after.bin:-1", StringComparison.Ordinal));
            var id = first[..first.IndexOf(':', StringComparison.Ordinal)];
            Assert.InRange(int.Parse(id, System.Globalization.CultureInfo.InvariantCulture), 1, 4);
            Assert.Contains($"{id}:after.bin:100", lines);
        }
        finally
        {
            // Lets go of a reader stuck opening the FIFO, if there is one; bounded, as there should be none.
            await RunAsync("timeout", ["2", "sh", "-c", $"exec 3> '{fifo}'"], check: false);
        }
    }

    private static async Task RunAsync(string program, string[] args, bool check = true)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await process.WaitForExitAsync(timeout.Token);
        if (check)
        {
            Assert.True(process.ExitCode == 0, $"{program} failed: {await process.StandardError.ReadToEndAsync()}");
        }
    }
}
