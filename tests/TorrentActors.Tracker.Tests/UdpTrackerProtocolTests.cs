using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace TorrentActors.Tracker.Tests;

public sealed class UdpTrackerProtocolTests
{
    private static readonly PeerEndpoint Client = PeerEndpoint.From(IPAddress.Parse("10.0.0.5"), 51413);
    private readonly ManualClock _clock = new();
    private readonly SwarmStore _store;
    private readonly UdpTrackerProtocol _protocol;

    public UdpTrackerProtocolTests()
    {
        var options = new TrackerOptions { TimeProvider = _clock, RequestsPerSecondPerAddress = 0 };
        _store = new SwarmStore(options);
        _protocol = new UdpTrackerProtocol(_store, new ConnectionIds(_clock), new AddressRateLimiter(0, 1, _clock), options);
    }

    private byte[] Send(byte[] request, PeerEndpoint? from = null)
    {
        var reply = new byte[UdpTrackerProtocol.MaxReplyLength];
        var length = _protocol.Handle(request, from ?? Client, reply);
        return reply[..length];
    }

    private static byte[] ConnectRequest(int transactionId) =>
        Convert.FromHexString("0000041727101980" + "00000000").Concat(BigEndian(transactionId)).ToArray();

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private long Connect(PeerEndpoint? from = null)
    {
        var reply = Send(ConnectRequest(0x01020304), from);
        return BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(8));
    }

    private static byte[] AnnounceRequest(long connectionId, int transactionId, byte[] hash, byte[] peer, long left, int trackerEvent, int numWant, ushort port)
    {
        var packet = new byte[98];
        BinaryPrimitives.WriteInt64BigEndian(packet, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), 1);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(12), transactionId);
        hash.CopyTo(packet, 16);
        peer.CopyTo(packet, 36);
        BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(64), left);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(80), trackerEvent);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(92), numWant);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(96), port);
        return packet;
    }

    [Fact]
    public void Connect_reply_is_action_0_the_transaction_id_and_a_connection_id()
    {
        var reply = Send(Convert.FromHexString("00000417271019800000000001020304"));
        Assert.Equal(16, reply.Length);
        Assert.Equal(Convert.FromHexString("0000000001020304"), reply[..8]);
        Assert.NotEqual(0, BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(8)));
    }

    [Fact]
    public void Connect_with_a_wrong_protocol_id_or_too_few_bytes_gets_silence()
    {
        Assert.Empty(Send(Convert.FromHexString("00000417271019810000000001020304")));
        Assert.Empty(Send(Convert.FromHexString("000004172710198000000000010203")));
        Assert.Empty(Send([]));
    }

    [Fact]
    public void Announce_reply_has_the_exact_ipv4_layout()
    {
        var id = Connect();
        var seeder = PeerEndpoint.From(IPAddress.Parse("10.0.0.9"), 1);
        Send(AnnounceRequest(Connect(seeder), 7, Ids.Hash(1), Ids.Peer(9), 0, 2, -1, 0x1A2B), seeder);

        var reply = Send(AnnounceRequest(id, 0x0A0B0C0D, Ids.Hash(1), Ids.Peer(1), 1000, 2, -1, 6881));

        Assert.Equal(Convert.FromHexString(
            "00000001" + "0A0B0C0D" + "0000012C" + "00000001" + "00000001" + "0A000009" + "1A2B"), reply);
    }

    [Fact]
    public void Announce_over_ipv6_gets_18_byte_ipv6_peers_only()
    {
        var v6 = PeerEndpoint.From(IPAddress.Parse("2001:db8::1"), 1);
        var v6Other = PeerEndpoint.From(IPAddress.Parse("2001:db8::2"), 1);
        var v4 = PeerEndpoint.From(IPAddress.Parse("10.0.0.7"), 1);
        Send(AnnounceRequest(Connect(v4), 1, Ids.Hash(2), Ids.Peer(1), 0, 2, -1, 1111), v4);
        Send(AnnounceRequest(Connect(v6Other), 1, Ids.Hash(2), Ids.Peer(2), 0, 2, -1, 2222), v6Other);

        var reply = Send(AnnounceRequest(Connect(v6), 5, Ids.Hash(2), Ids.Peer(3), 10, 2, 50, 3333), v6);

        Assert.Equal(20 + 18, reply.Length);
        Assert.Equal(Convert.FromHexString("20010db8000000000000000000000002" + "08AE"), reply[20..]);
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(16))); // seeders
    }

    [Fact]
    public void Scrape_reply_lists_seeders_completed_leechers_in_request_order()
    {
        Send(AnnounceRequest(Connect(), 1, Ids.Hash(3), Ids.Peer(1), 0, 1, -1, 1000));
        var other = PeerEndpoint.From(IPAddress.Parse("10.0.0.6"), 1);
        Send(AnnounceRequest(Connect(other), 1, Ids.Hash(3), Ids.Peer(2), 5, 2, -1, 1001), other);

        var request = new byte[16 + 40];
        BinaryPrimitives.WriteInt64BigEndian(request, Connect());
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), 2);
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(12), 99);
        Ids.Hash(404).CopyTo(request, 16);
        Ids.Hash(3).CopyTo(request, 36);

        Assert.Equal(Convert.FromHexString("00000002" + "00000063" + "000000000000000000000000" + "000000010000000100000001"), Send(request));
    }

    [Fact]
    public void A_wrong_connection_id_gets_an_error_packet()
    {
        var forged = AnnounceRequest(0x1122334455667788, 0x42, Ids.Hash(1), Ids.Peer(1), 0, 0, -1, 1);
        var expected = Convert.FromHexString("00000003" + "00000042").Concat("invalid or expired connection id"u8.ToArray()).ToArray();
        Assert.Equal(expected, Send(forged));
    }

    [Fact]
    public void A_connection_id_is_bound_to_the_client_address()
    {
        var id = Connect();
        var elsewhere = PeerEndpoint.From(IPAddress.Parse("10.0.0.5"), 51414);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(Send(AnnounceRequest(id, 1, Ids.Hash(1), Ids.Peer(1), 0, 0, -1, 1), elsewhere)));
    }

    [Fact]
    public void A_connection_id_lasts_two_minutes_and_then_expires()
    {
        var id = Connect();
        _clock.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(1, BinaryPrimitives.ReadInt32BigEndian(Send(AnnounceRequest(id, 1, Ids.Hash(1), Ids.Peer(1), 0, 0, -1, 1))));
        _clock.Advance(TimeSpan.FromSeconds(62));
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(Send(AnnounceRequest(id, 1, Ids.Hash(1), Ids.Peer(1), 0, 0, -1, 1))));
    }

    [Fact]
    public void Truncated_requests_and_unknown_actions_get_error_packets()
    {
        var id = Connect();
        var full = AnnounceRequest(id, 0x33, Ids.Hash(1), Ids.Peer(1), 0, 0, -1, 1);
        Assert.Equal("truncated announce"u8.ToArray(), Send(full[..97])[8..]);
        Assert.Equal("truncated announce"u8.ToArray(), Send(full[..16])[8..]);

        var badScrape = new byte[16 + 19];
        BinaryPrimitives.WriteInt64BigEndian(badScrape, id);
        BinaryPrimitives.WriteInt32BigEndian(badScrape.AsSpan(8), 2);
        Assert.Equal(3, BinaryPrimitives.ReadInt32BigEndian(Send(badScrape)));

        var unknown = (byte[])full.Clone();
        BinaryPrimitives.WriteInt32BigEndian(unknown.AsSpan(8), 9);
        Assert.Equal("unknown action"u8.ToArray(), Send(unknown)[8..]);

        var badEvent = AnnounceRequest(id, 0x33, Ids.Hash(1), Ids.Peer(1), 0, 7, -1, 1);
        Assert.Equal("invalid event"u8.ToArray(), Send(badEvent)[8..]);
        Assert.Equal("invalid port"u8.ToArray(), Send(AnnounceRequest(id, 0x33, Ids.Hash(1), Ids.Peer(1), 0, 0, -1, 0))[8..]);
    }

    [Fact]
    public void Scrape_answers_at_most_74_hashes()
    {
        var request = new byte[16 + 100 * 20];
        BinaryPrimitives.WriteInt64BigEndian(request, Connect());
        BinaryPrimitives.WriteInt32BigEndian(request.AsSpan(8), 2);
        Assert.Equal(8 + 74 * 12, Send(request).Length);
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(1234);
        var id = Connect();
        for (var i = 0; i < 20_000; i++)
        {
            var packet = new byte[random.Next(0, 200)];
            random.NextBytes(packet);
            if (packet.Length >= 16 && i % 2 == 0)
            {
                BinaryPrimitives.WriteInt64BigEndian(packet, id);
                BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), random.Next(-1, 4));
            }

            var reply = Send(packet);
            Assert.True(reply.Length == 0 || reply.Length >= 8);
        }
    }

    [Fact]
    public async Task The_udp_socket_survives_garbage_and_still_answers()
    {
        await using var tracker = await TrackerServer.StartAsync(new TrackerOptions { HttpPort = 0, UdpPort = 0 });
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var server = tracker.UdpEndPoint!;
        foreach (var garbage in new[] { new byte[] { 1 }, new byte[15], new byte[2000], Convert.FromHexString("00000417271019800000000901020304") })
        {
            await socket.SendToAsync(garbage, server);
        }

        await socket.SendToAsync(ConnectRequest(0x55667788), server);
        var buffer = new byte[2048];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        // The unknown action (9) with a valid connect id field is answered with an error first; then the connect reply.
        var replies = new List<byte[]>();
        while (replies.Count < 2)
        {
            var received = await socket.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), cts.Token);
            replies.Add(buffer[..received.ReceivedBytes]);
        }

        Assert.Contains(replies, r => r.Length == 16 && r.AsSpan(0, 8).SequenceEqual(Convert.FromHexString("0000000055667788")));
        Assert.Contains(replies, r => r.AsSpan(0, 8).SequenceEqual(Convert.FromHexString("0000000301020304")));
    }
}
