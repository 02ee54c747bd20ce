using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

public sealed class UdpTrackerClientTests
{
    private static readonly byte[] ConnectPrefix = [0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80, 0, 0, 0, 0];
    private static readonly byte[] ConnectionId = [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88];

    [Fact]
    public async Task Connect_and_announce_send_the_exact_bytes_of_bep_15_and_read_the_reply()
    {
        using var tracker = new FakeUdpTracker(IPAddress.Loopback);
        var client = new UdpTrackerClient(key: 0x01020304) { BaseTimeout = TimeSpan.FromSeconds(30) };

        var announce = client.AnnounceAsync(tracker.Announce, TestBytes.Request(), CancellationToken.None);

        var connect = await tracker.ReceiveAsync();
        Assert.Equal(16, connect.Buffer.Length);
        Assert.Equal(ConnectPrefix, connect.Buffer[..12]);
        var connectTid = connect.Buffer[12..16];
        await tracker.SendAsync(connect, [1, 2, 3]); // too short: ignored
        await tracker.SendAsync(connect, TestBytes.Of(new byte[4], Flip(connectTid), ConnectionId)); // another transaction: ignored
        await tracker.SendAsync(connect, TestBytes.Of(new byte[4], connectTid, ConnectionId));

        var packet = await tracker.ReceiveAsync();
        var tid = packet.Buffer[12..16];
        var expected = TestBytes.Of(
            ConnectionId,
            new byte[] { 0, 0, 0, 1 },
            tid,
            TestBytes.SpecHash.ToArray(),
            TestBytes.PeerId,
            new byte[] { 0, 0, 0, 0, 0, 0, 0, 20 }, // downloaded
            new byte[] { 0, 0, 0, 0, 0, 0, 0, 30 }, // left
            new byte[] { 0, 0, 0, 0, 0, 0, 0, 10 }, // uploaded
            new byte[] { 0, 0, 0, 2 }, // started
            new byte[] { 0, 0, 0, 0 }, // IP: the sender's
            new byte[] { 1, 2, 3, 4 }, // key
            new byte[] { 0, 0, 0, 50 }, // num_want
            new byte[] { 0x1A, 0xE1 }); // port 6881
        Assert.Equal(expected, packet.Buffer);
        await tracker.SendAsync(packet, TestBytes.Of(new byte[] { 0, 0, 0, 1 }, Flip(tid), new byte[12])); // another transaction: ignored
        await tracker.SendAsync(packet, TestBytes.Of(
            new byte[] { 0, 0, 0, 1 },
            tid,
            new byte[] { 0, 0, 0x07, 0x08 }, // interval 1800
            new byte[] { 0, 0, 0, 3 }, // leechers
            new byte[] { 0, 0, 0, 7 }, // seeders
            new byte[] { 10, 0, 0, 1, 0x1A, 0xE1, 127, 0, 0, 1, 0xC8, 0xD5 }));

        var reply = await announce;
        Assert.Equal(TimeSpan.FromMinutes(30), reply.Interval);
        Assert.Equal(7, reply.Complete);
        Assert.Equal(3, reply.Incomplete);
        Assert.Equal([IPEndPoint.Parse("10.0.0.1:6881"), IPEndPoint.Parse("127.0.0.1:51413")], reply.Peers);
    }

    [Fact]
    public async Task Announce_events_are_numbered_as_in_bep_15()
    {
        var packet = new byte[UdpTrackerClient.AnnounceRequestLength];
        int Event(AnnounceEvent e)
        {
            UdpTrackerClient.WriteAnnounce(packet, 1, 2, TestBytes.Request(e), 3);
            return BinaryPrimitives.ReadInt32BigEndian(packet.AsSpan(80));
        }

        Assert.Equal([0, 1, 2, 3], new[] { Event(AnnounceEvent.None), Event(AnnounceEvent.Completed), Event(AnnounceEvent.Started), Event(AnnounceEvent.Stopped) });
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Connection_id_is_reused_for_a_minute_then_renewed()
    {
        using var tracker = new FakeUdpTracker(IPAddress.Loopback);
        var time = new ManualTimeProvider();
        using var client = new UdpTrackerClient(time) { BaseTimeout = TimeSpan.FromSeconds(30) };

        var firstSource = await AnnounceWithConnectAsync(tracker, client);

        time.Advance(TimeSpan.FromSeconds(50));
        var second = client.AnnounceAsync(tracker.Announce, TestBytes.Request(AnnounceEvent.None), CancellationToken.None);
        var packet = await tracker.ReceiveAsync();
        Assert.Equal(98, packet.Buffer.Length);
        Assert.Equal(ConnectionId, packet.Buffer[..8]);
        Assert.Equal(firstSource, packet.RemoteEndPoint); // the id is used from the socket (port) it was given to
        await tracker.SendAsync(packet, AnnounceReply(packet.Buffer[12..16]));
        await second;

        time.Advance(TimeSpan.FromSeconds(11));
        await AnnounceWithConnectAsync(tracker, client);
    }

    [Fact]
    public async Task Error_reply_becomes_a_tracker_exception_with_the_message()
    {
        using var tracker = new FakeUdpTracker(IPAddress.Loopback);
        var client = new UdpTrackerClient { BaseTimeout = TimeSpan.FromSeconds(30) };

        var announce = client.AnnounceAsync(tracker.Announce, TestBytes.Request(), CancellationToken.None);
        var connect = await tracker.ReceiveAsync();
        await tracker.SendAsync(connect, TestBytes.Of(new byte[] { 0, 0, 0, 3 }, connect.Buffer[12..16], "torrent not whitelisted"));

        var error = await Assert.ThrowsAsync<TrackerException>(() => announce);
        Assert.EndsWith("refused: torrent not whitelisted", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsTrackerFailure);
    }

    [Fact]
    public async Task Silence_is_retransmitted_then_reported()
    {
        using var tracker = new FakeUdpTracker(IPAddress.Loopback);
        var client = new UdpTrackerClient { BaseTimeout = TimeSpan.FromMilliseconds(50), MaxRetransmits = 2 };

        var announce = client.AnnounceAsync(tracker.Announce, TestBytes.Request(), CancellationToken.None);
        var first = await tracker.ReceiveAsync();
        var second = await tracker.ReceiveAsync();
        var third = await tracker.ReceiveAsync();

        var error = await Assert.ThrowsAsync<TrackerException>(() => announce);
        Assert.Contains("did not answer after 3 tries", error.Message, StringComparison.Ordinal);
        Assert.Equal(first.Buffer, second.Buffer);
        Assert.Equal(first.Buffer, third.Buffer);
    }

    [Fact]
    public async Task A_retransmitted_request_that_is_answered_succeeds()
    {
        using var tracker = new FakeUdpTracker(IPAddress.Loopback);
        var client = new UdpTrackerClient { BaseTimeout = TimeSpan.FromMilliseconds(100), MaxRetransmits = 6 };

        var announce = client.AnnounceAsync(tracker.Announce, TestBytes.Request(), CancellationToken.None);
        await tracker.ReceiveAsync(); // lost
        var connect = await tracker.ReceiveAsync();
        await tracker.SendAsync(connect, TestBytes.Of(new byte[4], connect.Buffer[12..16], ConnectionId));
        var packet = await tracker.ReceiveAsync(length: 98); // skips connects sent again meanwhile
        await tracker.SendAsync(packet, AnnounceReply(packet.Buffer[12..16]));

        var reply = await announce;
        Assert.Equal([IPEndPoint.Parse("127.0.0.1:6881")], reply.Peers);
    }

    [Fact]
    public async Task A_closed_port_is_reported_as_unreachable()
    {
        var port = FreePort.Udp();

        var client = new UdpTrackerClient { BaseTimeout = TimeSpan.FromSeconds(30) };

        var error = await Assert.ThrowsAsync<TrackerException>(() =>
            client.AnnounceAsync(new Uri($"udp://127.0.0.1:{port}/announce"), TestBytes.Request(), CancellationToken.None));
        Assert.Contains("unreachable", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ipv6_tracker_replies_with_eighteen_byte_peers()
    {
        using var tracker = new FakeUdpTracker(IPAddress.IPv6Loopback);
        var client = new UdpTrackerClient { BaseTimeout = TimeSpan.FromSeconds(30) };

        var announce = client.AnnounceAsync(tracker.Announce, TestBytes.Request(), CancellationToken.None);
        var connect = await tracker.ReceiveAsync();
        await tracker.SendAsync(connect, TestBytes.Of(new byte[4], connect.Buffer[12..16], ConnectionId));
        var packet = await tracker.ReceiveAsync();
        await tracker.SendAsync(packet, TestBytes.Of(
            new byte[] { 0, 0, 0, 1 },
            packet.Buffer[12..16],
            new byte[] { 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 1 },
            IPAddress.Parse("2001:db8::7").GetAddressBytes(),
            new byte[] { 0x1A, 0xE1 }));

        var reply = await announce;
        Assert.Equal("[::1]", tracker.Announce.Host);
        Assert.Equal([IPEndPoint.Parse("[2001:db8::7]:6881")], reply.Peers);
        Assert.Equal(TimeSpan.FromSeconds(60), reply.Interval);
    }

    [Fact]
    public async Task Scrape_sends_the_exact_bytes_and_reads_counts_in_request_order()
    {
        using var tracker = new FakeUdpTracker(IPAddress.Loopback);
        var client = new UdpTrackerClient { BaseTimeout = TimeSpan.FromSeconds(30) };
        var other = TorrentActors.Engine.Metainfo.InfoHash.FromHex("00000000000000000000000000000000000000ff");

        var scrape = client.ScrapeAsync(tracker.Announce, [TestBytes.SpecHash, other], CancellationToken.None);
        var connect = await tracker.ReceiveAsync();
        await tracker.SendAsync(connect, TestBytes.Of(new byte[4], connect.Buffer[12..16], ConnectionId));
        var packet = await tracker.ReceiveAsync();
        var tid = packet.Buffer[12..16];
        Assert.Equal(TestBytes.Of(ConnectionId, new byte[] { 0, 0, 0, 2 }, tid, TestBytes.SpecHash.ToArray(), other.ToArray()), packet.Buffer);
        await tracker.SendAsync(packet, TestBytes.Of(
            new byte[] { 0, 0, 0, 2 },
            tid,
            new byte[] { 0, 0, 0, 5, 0, 0, 0, 50, 0, 0, 0, 10 },
            new byte[] { 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 }));

        var files = await scrape;
        Assert.Equal(new ScrapeEntry(5, 50, 10), files[TestBytes.SpecHash]);
        Assert.Equal(new ScrapeEntry(1, 2, 3), files[other]);
    }

    private static async Task<IPEndPoint> AnnounceWithConnectAsync(FakeUdpTracker tracker, UdpTrackerClient client)
    {
        var announce = client.AnnounceAsync(tracker.Announce, TestBytes.Request(), CancellationToken.None);
        var connect = await tracker.ReceiveAsync();
        Assert.Equal(ConnectPrefix, connect.Buffer[..12]);
        await tracker.SendAsync(connect, TestBytes.Of(new byte[4], connect.Buffer[12..16], ConnectionId));
        var packet = await tracker.ReceiveAsync();
        Assert.Equal(98, packet.Buffer.Length);
        await tracker.SendAsync(packet, AnnounceReply(packet.Buffer[12..16]));
        await announce;
        return connect.RemoteEndPoint;
    }

    private static byte[] AnnounceReply(byte[] tid) =>
        TestBytes.Of(new byte[] { 0, 0, 0, 1 }, tid, new byte[] { 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 1, 127, 0, 0, 1, 0x1A, 0xE1 });

    private static byte[] Flip(byte[] tid) => tid.Select(b => (byte)~b).ToArray();

    /// <summary>A UDP socket on loopback port 0 that the test drives packet by packet.</summary>
    private sealed class FakeUdpTracker : IDisposable
    {
        private readonly UdpClient _socket;

        public FakeUdpTracker(IPAddress address)
        {
            _socket = new UdpClient(new IPEndPoint(address, 0));
            var endpoint = (IPEndPoint)_socket.Client.LocalEndPoint!;
            Announce = new Uri($"udp://{new IPEndPoint(address, endpoint.Port)}/announce");
        }

        public Uri Announce { get; }

        /// <summary>The next packet (of <paramref name="length"/> bytes when given, skipping others), waiting at most 30 s.</summary>
        public async Task<UdpReceiveResult> ReceiveAsync(int? length = null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            for (var skipped = 0; skipped < 100; skipped++)
            {
                var packet = await _socket.ReceiveAsync(timeout.Token);
                if (length is null || packet.Buffer.Length == length)
                {
                    return packet;
                }
            }

            throw new InvalidOperationException($"no packet of {length} bytes among 100");
        }

        public async Task SendAsync(UdpReceiveResult to, byte[] packet) => await _socket.SendAsync(packet, to.RemoteEndPoint);

        public void Dispose() => _socket.Dispose();
    }
}
