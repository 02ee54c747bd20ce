using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

/// <summary>
/// BEP 12 with real trackers on 127.0.0.1: the first tier's tracker is broken in one way, the second tier's answers.
/// Whatever the breakage, the announcer gets its peers from the second tracker at once, not after a back-off.
/// </summary>
public sealed class TrackerFallThroughTests
{
    private const int SizeLimit = 64 * 1024;

    private static readonly IPEndPoint Peer = IPEndPoint.Parse("127.0.0.1:6881");

    /// <summary>Well under the announcer's first back-off (15 s): the fall-through must not wait for a retry.</summary>
    private static readonly TimeSpan Quickly = TimeSpan.FromSeconds(10);

    public static TheoryData<string> BrokenHttpTrackers => new()
    {
        "a redirect to a file URL",
        "a redirect to an ftp URL",
        "a redirect to a malformed URL",
        "a redirect loop",
        "a gzip body that does not decompress",
        "a brotli body that does not decompress",
        "a deflate body that does not decompress",
        "a gzip body that decompresses over the size limit",
        "a body that is not bencode",
        "a failure reason",
        "an HTTP 500",
        "a body over the size limit",
        "a body cut short",
        "a broken chunked encoding",
        "a malformed status line",
        "a connection reset",
        "no answer",
        "a refused connection",
        "an unknown host",
    };

    public static TheoryData<string> BrokenUdpTrackers => new()
    {
        "an error packet",
        "no answer",
        "nothing listening",
    };

    [Theory]
    [MemberData(nameof(BrokenHttpTrackers))]
    public async Task An_http_tracker_that_fails_gives_way_to_the_next_tier_at_once(string breakage)
    {
        await using var good = new RawHttpServer((_, _) => RawHttpServer.Ok(GoodReply()));
        await using var broken = new RawHttpServer(BrokenReply(breakage));
        var brokenUrl = breakage switch
        {
            "a refused connection" => $"http://127.0.0.1:{FreePort.Tcp()}/announce",
            "an unknown host" => "http://tracker.invalid/announce",
            _ => broken.Announce.AbsoluteUri,
        };
        using var client = new TrackerClient(
            new HttpTrackerClient(key: 1) { Timeout = TimeSpan.FromSeconds(2), MaxResponseBytes = SizeLimit },
            new UdpTrackerClient(key: 1));

        var logger = new ListLogger();
        var watch = Stopwatch.StartNew();
        var (announcer, peers) = StartAnnouncer([[brokenUrl], [good.Announce.AbsoluteUri]], client, logger);
        await using (announcer)
        {
            Assert.Equal([Peer], await peers.WaitAsync(Quickly));

            Assert.True(watch.Elapsed < Quickly, $"peers came after {watch.Elapsed}");
            Assert.Equal(good.Announce.AbsoluteUri, announcer.CurrentTracker);
            Assert.Null(announcer.LastError);
            Assert.Single(good.RequestLines);
            if (brokenUrl == broken.Announce.AbsoluteUri)
            {
                Assert.NotEmpty(broken.RequestLines);
            }

            // The broken tracker's failure is one warning line, though the announce as a whole succeeded.
            var warning = Assert.Single(logger.Warnings);
            Assert.StartsWith($"Tracker {brokenUrl} failed for ", warning, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("a redirect to a file URL", TrackerFailureKind.BadReply, "redirected to file:///etc/passwd; only http and https URLs are followed")]
    [InlineData("a redirect to an ftp URL", TrackerFailureKind.BadReply, "redirected to ftp://127.0.0.1/announce; only http")]
    [InlineData("a redirect to a malformed URL", TrackerFailureKind.BadReply, "redirected to 'http://[::1', which is not a URL")]
    [InlineData("a redirect loop", TrackerFailureKind.BadReply, "redirects in a loop")]
    [InlineData("a gzip body that does not decompress", TrackerFailureKind.BadReply, "compressed body that does not decompress")]
    [InlineData("a brotli body that does not decompress", TrackerFailureKind.BadReply, "compressed body that does not decompress")]
    [InlineData("a deflate body that does not decompress", TrackerFailureKind.BadReply, "compressed body that does not decompress")]
    [InlineData("a gzip body that decompresses over the size limit", TrackerFailureKind.BadReply, "over the limit of 65536 bytes")]
    [InlineData("a body that is not bencode", TrackerFailureKind.BadReply, "not a bencoded dictionary")]
    [InlineData("a failure reason", TrackerFailureKind.Refused, "Tracker refused: unregistered")]
    [InlineData("an HTTP 500", TrackerFailureKind.BadReply, "answered HTTP 500 Internal Server Error")]
    [InlineData("a body over the size limit", TrackerFailureKind.BadReply, "over the limit of 65536")]
    [InlineData("a body cut short", TrackerFailureKind.BadReply, "cut its reply short")]
    [InlineData("a broken chunked encoding", TrackerFailureKind.BadReply, "malformed HTTP reply")]
    [InlineData("a malformed status line", TrackerFailureKind.BadReply, "malformed HTTP reply")]
    [InlineData("a connection reset", TrackerFailureKind.Unreachable, "Could not reach tracker")]
    [InlineData("no answer", TrackerFailureKind.Timeout, "did not answer within 2 s")]
    public async Task Each_way_an_http_tracker_fails_is_one_tracker_exception_of_its_kind(string breakage, TrackerFailureKind kind, string reason)
    {
        await using var broken = new RawHttpServer(BrokenReply(breakage));
        // Only the silent tracker may take the (short) timeout; every other failure must show long before a long one.
        var timeout = TimeSpan.FromSeconds(kind == TrackerFailureKind.Timeout ? 2 : 20);
        var client = new HttpTrackerClient(key: 1) { Timeout = timeout, MaxResponseBytes = SizeLimit };

        var watch = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(broken.Announce, TestBytes.Request(), CancellationToken.None));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal(kind, error.Kind);
        Assert.True(watch.Elapsed < timeout / 2 || kind == TrackerFailureKind.Timeout, $"failed only after {watch.Elapsed}");
    }

    [Fact]
    public async Task A_redirect_to_another_http_tracker_is_followed()
    {
        await using var good = new RawHttpServer((_, _) => RawHttpServer.Ok(GoodReply()));
        await using var moved = new RawHttpServer((_, _) => Redirect(good.Announce.AbsoluteUri + "?passkey=1"));
        var client = new HttpTrackerClient(key: 1);

        var reply = await client.AnnounceAsync(moved.Announce, TestBytes.Request(), CancellationToken.None);

        Assert.Equal([Peer], reply.Peers);
        Assert.StartsWith("GET /announce?passkey=1 ", Assert.Single(good.RequestLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Redirects_are_followed_up_to_the_limit()
    {
        await using var server = new RawHttpServer((line, _) => Redirect($"/hop{line.Length}"));
        var client = new HttpTrackerClient(key: 1) { MaxRedirects = 2 };

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None));

        Assert.Contains("redirected more than 2 times", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, server.RequestLines.Count);
    }

    [Theory]
    [MemberData(nameof(BrokenUdpTrackers))]
    public async Task A_udp_tracker_that_fails_gives_way_to_the_next_tier_at_once(string breakage)
    {
        await using var good = new RawHttpServer((_, _) => RawHttpServer.Ok(GoodReply()));
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        using var stop = new CancellationTokenSource();
        var serving = breakage switch
        {
            "an error packet" => AnswerWithErrorsAsync(udp, stop.Token),
            "nothing listening" => CloseAsync(udp),
            _ => Task.CompletedTask,
        };
        using var client = new TrackerClient(
            new HttpTrackerClient(key: 1),
            new UdpTrackerClient(key: 1) { BaseTimeout = TimeSpan.FromMilliseconds(500), MaxRetransmits = 1 });

        var logger = new ListLogger();
        var udpUrl = $"udp://127.0.0.1:{port}/announce";
        var (announcer, peers) = StartAnnouncer([[udpUrl], [good.Announce.AbsoluteUri]], client, logger);
        await using (announcer)
        {
            Assert.Equal([Peer], await peers.WaitAsync(Quickly));
            Assert.Equal(good.Announce.AbsoluteUri, announcer.CurrentTracker);
            Assert.StartsWith($"Tracker {udpUrl} failed for ", Assert.Single(logger.Warnings), StringComparison.Ordinal);
        }

        await stop.CancelAsync();
        await serving;
    }

    private static (TrackerAnnouncer Announcer, Task<IReadOnlyList<IPEndPoint>> Peers) StartAnnouncer(string[][] tiers, ITrackerClient client, ListLogger logger)
    {
        var discovered = new TaskCompletionSource<IReadOnlyList<IPEndPoint>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var announcer = new TrackerAnnouncer(tiers, e => TestBytes.Request(e), client, logger: logger);
        announcer.PeersDiscovered += peers => discovered.TrySetResult(peers);
        announcer.Start();
        return (announcer, discovered.Task);
    }

    private static byte[] GoodReply() => TestBytes.Of("d8:intervali60e5:peers6:", new byte[] { 127, 0, 0, 1, 0x1A, 0xE1 }, "e");

        private static Func<string, int, byte[]?> BrokenReply(string breakage) => breakage switch
    {
        "a redirect to a file URL" => (_, _) => Redirect("file:///etc/passwd"),
        "a redirect to an ftp URL" => (_, _) => Redirect("ftp://127.0.0.1/announce"),
        "a redirect to a malformed URL" => (_, _) => Redirect("http://[::1"),
        "a redirect loop" => (_, _) => Redirect("/announce"),
        "a gzip body that does not decompress" => (_, _) => Encoded("gzip", Garbage()),
        "a brotli body that does not decompress" => (_, _) => Encoded("br", Garbage()),
        "a deflate body that does not decompress" => (_, _) => Encoded("deflate", Garbage()),
        "a gzip body that decompresses over the size limit" => (_, _) => Encoded("gzip", Gzip(new byte[SizeLimit * 4])),
        "a body that is not bencode" => (_, _) => RawHttpServer.Ok("<html>502 Bad Gateway</html>"),
        "a failure reason" => (_, _) => RawHttpServer.Ok("d14:failure reason12:unregisterede"),
        "an HTTP 500" => (_, _) => Head("500 Internal Server Error", "Content-Length: 4", "oops"),
        "a body over the size limit" => (_, _) => Head("200 OK", $"Content-Length: {SizeLimit + 1}", new string('x', SizeLimit + 1)),
        "a body cut short" => (_, _) => Head("200 OK", "Content-Length: 500", "d8:intervali60e"),
        "a broken chunked encoding" => (_, _) => Head("200 OK", "Transfer-Encoding: chunked", "zz\r\nd8:intervali60e\r\n0\r\n\r\n"),
        "a malformed status line" => (_, _) => Encoding.ASCII.GetBytes("HELLO THERE\r\n\r\n"),
        "a connection reset" => (_, _) => [],
        "no answer" => (_, _) => null,
        _ => (_, _) => RawHttpServer.Ok(GoodReply()),
    };

    private static byte[] Redirect(string location) => Head("302 Found", $"Location: {location}\r\nContent-Length: 0", "");

    private static byte[] Head(string status, string headers, string body) =>
        Encoding.Latin1.GetBytes($"HTTP/1.1 {status}\r\n{headers}\r\nConnection: close\r\n\r\n{body}");

    private static byte[] Encoded(string encoding, byte[] body) =>
        [.. Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Encoding: {encoding}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"), .. body];

    /// <summary>Bytes no decoder accepts: a gzip magic with a bad method, then noise.</summary>
    private static byte[] Garbage()
    {
        var bytes = new byte[300];
        new Random(5).NextBytes(bytes);
        bytes[0] = 0x1F;
        bytes[1] = 0x8B;
        bytes[2] = 0x99;
        return bytes;
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Answers every connect with an error packet (action 3, BEP 15).</summary>
    private static async Task AnswerWithErrorsAsync(UdpClient udp, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var request = await udp.ReceiveAsync(cancellationToken);
                if (request.Buffer.Length < 16)
                {
                    continue;
                }

                var reply = new byte[8 + 7];
                BinaryPrimitives.WriteInt32BigEndian(reply, 3);
                request.Buffer.AsSpan(12, 4).CopyTo(reply.AsSpan(4));
                "go away"u8.CopyTo(reply.AsSpan(8));
                await udp.SendAsync(reply, request.RemoteEndPoint, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the test is over
        }
    }

    /// <summary>Frees the port, so datagrams to it draw ICMP "port unreachable".</summary>
    private static Task CloseAsync(UdpClient udp)
    {
        udp.Close();
        return Task.CompletedTask;
    }
}
