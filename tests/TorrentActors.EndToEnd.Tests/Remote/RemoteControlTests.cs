using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using TorrentActors.EndToEnd.Tests.Support;
using Xunit;

namespace TorrentActors.EndToEnd.Tests.Remote;

/// <summary>Real processes: daemon nodes (<c>run --no-stdin</c>) driven by <c>send</c>, observed by <c>watch</c> and <c>status</c>.</summary>
public sealed partial class RemoteControlTests
{
    private static readonly TimeSpan Transfer = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Send_makes_a_daemon_seed_a_file_another_daemon_downloads_it_and_watch_shows_the_seeders_lines()
    {
        using var temp = new TempFolder();
        var data = temp.RandomFile("clip.bin", 3 * 1024 * 1024 + 5);
        await using var a = StartDaemon(temp, "a", "--tracker-port", "0");
        var nodeA = await WaitForRemoteAddressAsync(a);
        await using var watchA = NodeProcess.Start(temp.Path, ["watch", "--node", nodeA]);
        await WaitUntilWatchingAsync(watchA);

        var sent = await RunClientAsync(temp, "send", "--node", nodeA, "file:" + data);
        Assert.Equal(0, sent.ExitCode);
        Assert.Equal(["1:clip.bin:-1"], sent.Stdout);
        Assert.Matches(@"added 1: clip\.bin \([0-9a-f]{40}\)", sent.Stderr);

        await using var b = StartDaemon(temp, "b", "--no-tracker");
        var nodeB = await WaitForRemoteAddressAsync(b);
        await using var watchB = NodeProcess.Start(temp.Path, ["watch", "--node", nodeB, "--until-complete"]);
        await WaitUntilWatchingAsync(watchB);
        var upload = await RunClientAsync(temp, "send", "--node", nodeB, "--upload", "torrent:" + temp.Combine("a", "torrents", "clip.bin.torrent"));
        Assert.Equal(0, upload.ExitCode);
        Assert.Equal(["1:clip.bin:-1"], upload.Stdout);

        Assert.Equal(0, await watchB.WaitForExitAsync(Transfer));
        Assert.Equal("1:clip.bin:100", watchB.AllStdout[^1]);
        Assert.True(Protocol.IsClean(watchB.AllStdout));
        Assert.Equal(await File.ReadAllBytesAsync(data), await File.ReadAllBytesAsync(temp.Combine("b", "downloads", "clip.bin")));
        await b.ReadUntilAsync(line => line == "1:clip.bin:100", Transfer);
        Assert.Equal(b.AllStdout, watchB.AllStdout);

        await watchA.ReadUntilAsync(line => line == "1:clip.bin:100", Transfer);
        await a.ReadUntilAsync(line => line == "1:clip.bin:100", Transfer);
        Assert.Equal(a.AllStdout, watchA.AllStdout);

        var status = await RunClientAsync(temp, "status", "--node", nodeB);
        Assert.Equal(0, status.ExitCode);
        Assert.Equal(["1:clip.bin:100"], status.Stdout);
    }

    [Fact]
    public async Task Send_prints_the_answer_line_of_stop_start_and_remove_once_each_took_effect()
    {
        using var temp = new TempFolder();
        var data = temp.RandomFile("ctl.bin", 20_000);
        await using var a = StartDaemon(temp, "a", "--no-tracker");
        var node = await WaitForRemoteAddressAsync(a);
        var added = await RunClientAsync(temp, "send", "--node", node, "file:" + data);
        Assert.Equal(["1:ctl.bin:-1"], added.Stdout);
        await a.ReadUntilAsync(line => line == "1:ctl.bin:100", Transfer);
        await using var watch = NodeProcess.Start(temp.Path, ["watch", "--node", node]);
        await WaitUntilWatchingAsync(watch);

        var sent = await RunClientAsync(temp, "send", "--node", node, "stop:1", "stop:1", "start:1", "remove:1", "remove:1");

        Assert.Equal(1, sent.ExitCode);
        Assert.Equal(["1:ctl.bin:stopped", "1:ctl.bin:stopped", "1:ctl.bin:started", "1:ctl.bin:removed", "error: remove:1: no torrent with ID 1"], sent.Stdout);
        await a.ReadUntilAsync(line => line == "error: remove:1: no torrent with ID 1", Transfer);
        Assert.Equal(["1:ctl.bin:-1", "1:ctl.bin:100", "1:ctl.bin:stopped", "1:ctl.bin:stopped", "1:ctl.bin:started", "1:ctl.bin:removed", "error: remove:1: no torrent with ID 1"], a.AllStdout);
        await watch.ReadUntilAsync(line => line == "error: remove:1: no torrent with ID 1", Transfer);
        Assert.Equal(a.AllStdout.Skip(1), watch.AllStdout); // watch starts from the snapshot (1:ctl.bin:100)
    }

    [Fact]
    public async Task Send_reports_errors_in_the_pipe_format_and_exits_1()
    {
        using var temp = new TempFolder();
        await using var a = StartDaemon(temp, "a", "--no-tracker");
        var node = await WaitForRemoteAddressAsync(a);

        var sent = await RunClientAsync(temp, "send", "--node", node, "file:" + temp.Combine("missing.bin"), "stop:7", "jump");

        Assert.Equal(1, sent.ExitCode);
        Assert.Equal(
            [
                $"error: file:{temp.Combine("missing.bin")}: no such file",
                "error: stop:7: no torrent with ID 7",
                "error: jump: unknown command (expected file:PATH, torrent:URL, torrent:PATH, stop:ID, start:ID, remove:ID or status)",
            ],
            sent.Stdout);
        Assert.False(a.HasExited);
    }

    [Fact]
    public async Task Send_reads_commands_on_stdin_when_given_none()
    {
        using var temp = new TempFolder();
        var data = temp.RandomFile("small.bin", 50_000);
        await using var a = StartDaemon(temp, "a", "--no-tracker");
        var node = await WaitForRemoteAddressAsync(a);

        await using var send = NodeProcess.Start(temp.Path, ["send", "--node", node]);
        await send.SendAsync("file:" + data);
        await send.SendAsync("status");
        send.CloseStdin();

        Assert.Equal(0, await send.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(2, send.AllStdout.Count);
        Assert.Equal("1:small.bin:-1", send.AllStdout[0]);
        Assert.Matches("^1:small.bin:(-1|[0-9]+)$", send.AllStdout[1]);
    }

    [Fact]
    public async Task A_node_that_is_not_running_gives_a_clear_error_and_exit_1_within_seconds()
    {
        using var temp = new TempFolder();
        var port = FreePort.Tcp();
        var clock = Stopwatch.StartNew();

        var sent = await RunClientAsync(temp, "send", "--node", $"akka.tcp://torrentactors@127.0.0.1:{port}", "status");

        Assert.Equal(1, sent.ExitCode);
        Assert.Empty(sent.Stdout);
        Assert.Contains($"error: no remote gateway at akka.tcp://torrentactors@127.0.0.1:{port}", sent.Stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task With_tls_a_client_needs_the_nodes_certificate()
    {
        using var temp = new TempFolder();
        var certificate = MakeCertificate(temp, "node", "pw");
        await using var a = StartDaemon(temp, "a", "--no-tracker", "--remote-cert", certificate, "--remote-cert-password", "pw");
        var node = await WaitForRemoteAddressAsync(a);
        Assert.StartsWith("akka.ssl.tcp://", node);

        var trusted = await RunClientAsync(temp, "status", "--node", node, "--remote-cert", certificate, "--remote-cert-password", "pw");
        var plain = await RunClientAsync(temp, "status", "--node", node.Replace("akka.ssl.tcp", "akka.tcp", StringComparison.Ordinal));

        Assert.Equal(0, trusted.ExitCode);
        Assert.Equal(1, plain.ExitCode);
        Assert.Contains("error: ", plain.Stderr);
    }

    private static NodeProcess StartDaemon(TempFolder temp, string name, params string[] extra) =>
        NodeProcess.Start(
            temp.Folder(name),
            ["run", "--no-stdin", "--remote-port", "0", "--torrent-dir", temp.Combine(name, "torrents"), "--download-dir", temp.Combine(name, "downloads"), "--listen-port", "0", .. extra]);

    private static async Task<string> WaitForRemoteAddressAsync(NodeProcess node)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
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

    /// <summary>A watcher says on stderr when its subscription is on.</summary>
    private static async Task WaitUntilWatchingAsync(NodeProcess watch)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline && !watch.HasExited)
        {
            if (watch.Stderr.Contains("watching akka.tcp://", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("watch did not subscribe; stderr:\n" + watch.Stderr);
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> Stdout, string Stderr)> RunClientAsync(TempFolder temp, params string[] arguments)
    {
        await using var client = NodeProcess.Start(temp.Path, [.. arguments]);
        client.CloseStdin();
        var exit = await client.WaitForExitAsync(TimeSpan.FromSeconds(120));
        return (exit, client.AllStdout, client.Stderr);
    }

    private static string MakeCertificate(TempFolder temp, string name, string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        var path = temp.Combine(name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    [GeneratedRegex(@"remote control at (?<address>akka(\.ssl)?\.tcp://torrentactors@[0-9.]+:[0-9]+)")]
    private static partial Regex RemoteAddress();
}
