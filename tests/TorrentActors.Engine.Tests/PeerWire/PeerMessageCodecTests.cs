using System.Buffers;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.PeerWire;

public sealed class PeerMessageCodecTests
{
    private static byte[] Encode(Func<byte[], int> write)
    {
        var buffer = new byte[64];
        var length = write(buffer);
        return buffer[..length];
    }

    public static TheoryData<string, byte[], byte[]> Messages => new()
    {
        { "keep-alive", Encode(b => PeerMessageWriter.WriteKeepAlive(b)), [0, 0, 0, 0] },
        { "choke", Encode(b => PeerMessageWriter.WriteSimple(b, PeerMessageKind.Choke)), [0, 0, 0, 1, 0] },
        { "unchoke", Encode(b => PeerMessageWriter.WriteSimple(b, PeerMessageKind.Unchoke)), [0, 0, 0, 1, 1] },
        { "interested", Encode(b => PeerMessageWriter.WriteSimple(b, PeerMessageKind.Interested)), [0, 0, 0, 1, 2] },
        { "not interested", Encode(b => PeerMessageWriter.WriteSimple(b, PeerMessageKind.NotInterested)), [0, 0, 0, 1, 3] },
        { "have", Encode(b => PeerMessageWriter.WriteHave(b, 0x01020304)), [0, 0, 0, 5, 4, 1, 2, 3, 4] },
        { "bitfield", Encode(b => PeerMessageWriter.WriteBitfield(b, [0b1010_0000])), [0, 0, 0, 2, 5, 0b1010_0000] },
        { "request", Encode(b => PeerMessageWriter.WriteRequest(b, 1, 0x4000, 0x4000)), [0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x40, 0] },
        { "cancel", Encode(b => PeerMessageWriter.WriteRequest(b, 2, 0, 5, PeerMessageKind.Cancel)), [0, 0, 0, 13, 8, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 5] },
        { "port", Encode(b => PeerMessageWriter.WritePort(b, 6881)), [0, 0, 0, 3, 9, 0x1A, 0xE1] },
        { "suggest", Encode(b => PeerMessageWriter.WriteHave(b, 7, PeerMessageKind.Suggest)), [0, 0, 0, 5, 13, 0, 0, 0, 7] },
        { "have all", Encode(b => PeerMessageWriter.WriteSimple(b, PeerMessageKind.HaveAll)), [0, 0, 0, 1, 14] },
        { "have none", Encode(b => PeerMessageWriter.WriteSimple(b, PeerMessageKind.HaveNone)), [0, 0, 0, 1, 15] },
        { "reject", Encode(b => PeerMessageWriter.WriteRequest(b, 3, 16, 32, PeerMessageKind.Reject)), [0, 0, 0, 13, 16, 0, 0, 0, 3, 0, 0, 0, 16, 0, 0, 0, 32] },
        { "allowed fast", Encode(b => PeerMessageWriter.WriteHave(b, 9, PeerMessageKind.AllowedFast)), [0, 0, 0, 5, 17, 0, 0, 0, 9] },
        { "extended", Encode(b => PeerMessageWriter.WriteExtended(b, 3, "de"u8)), [0, 0, 0, 4, 20, 3, (byte)'d', (byte)'e'] },
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Encoders_write_the_exact_bytes_of_each_message(string name, byte[] actual, byte[] expected)
    {
        Assert.True(expected.AsSpan().SequenceEqual(actual), name);
    }

    private static byte[] Piece(int index, int begin, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[PeerMessageWriter.PieceHeaderLength + data.Length];
        PeerMessageWriter.WritePieceHeader(bytes, index, begin, data.Length);
        data.CopyTo(bytes.AsSpan(PeerMessageWriter.PieceHeaderLength));
        return bytes;
    }

    /// <summary>Each message as the reader must see it: name, wire bytes, then kind, index, begin, length, payload, extended id.</summary>
    public static TheoryData<string, byte[], PeerMessageKind, int, int, int, byte[], byte> Parsed => new()
    {
        { "keep-alive", [0, 0, 0, 0], PeerMessageKind.KeepAlive, 0, 0, 0, [], 0 },
        { "choke", [0, 0, 0, 1, 0], PeerMessageKind.Choke, 0, 0, 0, [], 0 },
        { "unchoke", [0, 0, 0, 1, 1], PeerMessageKind.Unchoke, 0, 0, 0, [], 0 },
        { "interested", [0, 0, 0, 1, 2], PeerMessageKind.Interested, 0, 0, 0, [], 0 },
        { "not interested", [0, 0, 0, 1, 3], PeerMessageKind.NotInterested, 0, 0, 0, [], 0 },
        { "have", [0, 0, 0, 5, 4, 1, 2, 3, 4], PeerMessageKind.Have, 0x01020304, 0, 0, [], 0 },
        { "bitfield", [0, 0, 0, 2, 5, 0b1010_0000], PeerMessageKind.Bitfield, 0, 0, 0, [0b1010_0000], 0 },
        { "request", [0, 0, 0, 13, 6, 0, 0, 0, 1, 0, 0, 0x40, 0, 0, 0, 0x20, 0], PeerMessageKind.Request, 1, 0x4000, 0x2000, [], 0 },
        { "piece", Piece(7, 0x4000, "hello"u8), PeerMessageKind.Piece, 7, 0x4000, 5, "hello"u8.ToArray(), 0 },
        { "cancel", [0, 0, 0, 13, 8, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 5], PeerMessageKind.Cancel, 2, 3, 5, [], 0 },
        { "port", [0, 0, 0, 3, 9, 0x1A, 0xE1], PeerMessageKind.Port, 6881, 0, 0, [], 0 },
        { "suggest", [0, 0, 0, 5, 13, 0, 0, 0, 7], PeerMessageKind.Suggest, 7, 0, 0, [], 0 },
        { "have all", [0, 0, 0, 1, 14], PeerMessageKind.HaveAll, 0, 0, 0, [], 0 },
        { "have none", [0, 0, 0, 1, 15], PeerMessageKind.HaveNone, 0, 0, 0, [], 0 },
        { "reject", [0, 0, 0, 13, 16, 0, 0, 0, 3, 0, 0, 0, 16, 0, 0, 0, 32], PeerMessageKind.Reject, 3, 16, 32, [], 0 },
        { "allowed fast", [0, 0, 0, 5, 17, 0, 0, 0, 9], PeerMessageKind.AllowedFast, 9, 0, 0, [], 0 },
        { "extended", [0, 0, 0, 4, 20, 3, (byte)'d', (byte)'e'], PeerMessageKind.Extended, 0, 0, 0, "de"u8.ToArray(), 3 },
        { "extended handshake", [0, 0, 0, 3, 20, 0, (byte)'x'], PeerMessageKind.Extended, 0, 0, 0, "x"u8.ToArray(), 0 },
        { "unknown id", [0, 0, 0, 3, 200, 1, 2], PeerMessageKind.Unknown, 200, 0, 0, [], 0 },
    };

    [Theory]
    [MemberData(nameof(Parsed))]
    public void Reader_parses_every_field_of_each_message_whole_and_one_byte_per_segment(
        string name, byte[] encoded, PeerMessageKind kind, int index, int begin, int length, byte[] payload, byte extendedId)
    {
        var trailer = new byte[] { 0, 0, 0, 1, 2 }; // an interested message after it, which must be left unread
        byte[] input = [.. encoded, .. trailer];
        foreach (var (shape, sequence) in new[] { ("whole", new ReadOnlySequence<byte>(input)), ("one byte per segment", Segments.OneBytePerSegment(input)) })
        {
            var buffer = sequence;
            Assert.True(PeerMessageReader.TryRead(ref buffer, bitfieldLength: 1, out var message), $"{name}, {shape}");

            Assert.Equal((kind, index, begin, length, extendedId), (message.Kind, message.Index, message.Begin, message.Length, message.ExtendedId));
            Assert.Equal(payload, message.Payload.ToArray());
            Assert.Equal(trailer, buffer.ToArray());
        }
    }

    [Fact]
    public void Reader_reads_request_fields_and_piece_payload()
    {
        var bytes = new byte[13 + 5];
        PeerMessageWriter.WritePieceHeader(bytes, 7, 16384, 5);
        "hello"u8.CopyTo(bytes.AsSpan(13));
        Assert.Equal(new byte[] { 0, 0, 0, 14, 7, 0, 0, 0, 7, 0, 0, 0x40, 0 }, bytes[..13]);
        var buffer = Segments.OneBytePerSegment(bytes);
        Assert.True(PeerMessageReader.TryRead(ref buffer, 1, out var message));
        Assert.Equal(PeerMessageKind.Piece, message.Kind);
        Assert.Equal(7, message.Index);
        Assert.Equal(16384, message.Begin);
        Assert.Equal(5, message.Length);
        Assert.Equal("hello"u8.ToArray(), message.Payload.ToArray());

        var request = new byte[17];
        PeerMessageWriter.WriteRequest(request, 1, 2, 3);
        buffer = Segments.OneBytePerSegment(request);
        Assert.True(PeerMessageReader.TryRead(ref buffer, 1, out message));
        Assert.Equal((1, 2, 3), (message.Index, message.Begin, message.Length));
    }

    [Fact]
    public void Reader_waits_for_the_whole_message_before_consuming_anything()
    {
        var bytes = new byte[17];
        PeerMessageWriter.WriteRequest(bytes, 1, 2, 3);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var buffer = new ReadOnlySequence<byte>(bytes, 0, cut);
            Assert.False(PeerMessageReader.TryRead(ref buffer, 1, out _));
            Assert.Equal(cut, buffer.Length);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0x40, 0x0A, 7 }, "message id 7 with length 16394 is not allowed")] // a piece of a block and one byte
    [InlineData(new byte[] { 0, 0, 0, 9, 7 }, "message id 7 with length 9 is not allowed")] // a piece with no data
    [InlineData(new byte[] { 0, 0, 0, 3, 5 }, "message id 5 with length 3 is not allowed")] // a bitfield of the wrong size
    [InlineData(new byte[] { 0, 0, 0, 2, 0 }, "message id 0 with length 2 is not allowed")] // a choke with a payload
    [InlineData(new byte[] { 0, 0, 0, 12, 6 }, "message id 6 with length 12 is not allowed")] // a short request
    [InlineData(new byte[] { 0, 1, 0, 1, 200 }, "message id 200 with length 65537 is not allowed")] // an unknown id, over its bound
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 200 }, "message id 200 with length 2147483647 is not allowed")]
    [InlineData(new byte[] { 0, 0x10, 0, 1, 20 }, "message id 20 with length 1048577 is not allowed")] // an extended message over its bound
    [InlineData(new byte[] { 0, 0, 0, 1, 20 }, "message id 20 with length 1 is not allowed")] // an extended message without its id
    public void Reader_rejects_bad_lengths_before_buffering_the_body(byte[] prefix, string reason)
    {
        // Only the length and the id have arrived: the reader must refuse without waiting for the body.
        foreach (var sequence in new[] { new ReadOnlySequence<byte>(prefix), Segments.OneBytePerSegment(prefix) })
        {
            var buffer = sequence;
            var error = Assert.Throws<PeerProtocolException>(() => PeerMessageReader.TryRead(ref buffer, bitfieldLength: 1, out _));
            Assert.Equal(reason, error.Message);
        }
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0x40, 0x09, 7 })] // a piece of one full block
    [InlineData(new byte[] { 0, 0, 0, 2, 5 })] // a bitfield of the right size
    [InlineData(new byte[] { 0, 1, 0, 0, 200 })] // an unknown id at its bound
    [InlineData(new byte[] { 0, 0x10, 0, 0, 20 })] // an extended message at its bound
    public void Reader_waits_for_the_body_of_the_largest_lengths_allowed(byte[] prefix)
    {
        var buffer = new ReadOnlySequence<byte>(prefix);

        Assert.False(PeerMessageReader.TryRead(ref buffer, bitfieldLength: 1, out _));
        Assert.Equal(prefix.Length, buffer.Length);
    }

    [Fact]
    public void A_full_block_piece_message_is_accepted()
    {
        var bytes = new byte[13 + PeerWireConstants.BlockSize];
        PeerMessageWriter.WritePieceHeader(bytes, 0, 0, PeerWireConstants.BlockSize);
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.True(PeerMessageReader.TryRead(ref buffer, 1, out var message));
        Assert.Equal(PeerWireConstants.BlockSize, message.Length);
    }

    [Fact]
    public void Handshake_has_the_exact_layout_and_round_trips_one_byte_per_segment()
    {
        var infoHash = new InfoHash(Enumerable.Range(1, 20).Select(i => (byte)i).ToArray());
        var peerId = Enumerable.Range(100, 20).Select(i => (byte)i).ToArray();
        var bytes = new byte[Handshake.Length];
        new Handshake(infoHash, peerId, SupportsExtensions: true, SupportsFast: true).Encode(bytes);
        Assert.Equal(19, bytes[0]);
        Assert.Equal("BitTorrent protocol"u8.ToArray(), bytes[1..20]);
        Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0x10, 0, 0x04 }, bytes[20..28]);
        Assert.Equal(infoHash.ToArray(), bytes[28..48]);
        Assert.Equal(peerId, bytes[48..68]);

        var buffer = Segments.OneBytePerSegment(bytes);
        Assert.True(Handshake.TryRead(ref buffer, out var parsed));
        Assert.Equal(infoHash, parsed!.InfoHash);
        Assert.Equal(peerId, parsed.PeerId);
        Assert.True(parsed.SupportsExtensions);
        Assert.True(parsed.SupportsFast);
    }

    [Fact]
    public void Handshake_with_another_protocol_is_refused()
    {
        var bytes = new byte[Handshake.Length];
        bytes[0] = 19;
        "BitTorrent protocoX"u8.CopyTo(bytes.AsSpan(1));
        var buffer = new ReadOnlySequence<byte>(bytes);
        Assert.Throws<PeerProtocolException>(() => Handshake.TryRead(ref buffer, out _));
        var wrongLength = new ReadOnlySequence<byte>(new byte[] { 18 });
        Assert.Throws<PeerProtocolException>(() => Handshake.TryRead(ref wrongLength, out _));
    }

    [Fact]
    public void Extension_handshake_encodes_sorted_keys_and_parses_m_v_reqq_p()
    {
        var handshake = new ExtensionHandshake(new Dictionary<string, int> { ["ut_pex"] = 2, ["ut_metadata"] = 1 }, "TA 1", 500, 6881);
        var bytes = handshake.Encode();
        Assert.Equal("d1:md11:ut_metadatai1e6:ut_pexi2ee1:pi6881e4:reqqi500e1:v4:TA 1e", System.Text.Encoding.ASCII.GetString(bytes));
        var parsed = ExtensionHandshake.Parse(Segments.OneBytePerSegment(bytes));
        Assert.Equal(1, parsed.Extensions["ut_metadata"]);
        Assert.Equal(2, parsed.Extensions["ut_pex"]);
        Assert.Equal("TA 1", parsed.Client);
        Assert.Equal(500, parsed.RequestQueue);
        Assert.Equal(6881, parsed.ListenPort);
        Assert.Throws<PeerProtocolException>(() => ExtensionHandshake.Parse(new ReadOnlySequence<byte>("i3e"u8.ToArray())));
        Assert.Throws<PeerProtocolException>(() => ExtensionHandshake.Parse(new ReadOnlySequence<byte>("d1:m"u8.ToArray())));
    }

    [Fact]
    public void Bitfield_reads_high_bit_first_and_refuses_spare_bits()
    {
        var field = BitField.FromWire(new ReadOnlySequence<byte>(new byte[] { 0b1000_0001, 0b0100_0000 }), 10);
        Assert.True(field[0]);
        Assert.True(field[7]);
        Assert.True(field[9]);
        Assert.False(field[8]);
        Assert.Equal(3, field.TrueCount);
        Assert.Throws<PeerProtocolException>(() => BitField.FromWire(new ReadOnlySequence<byte>(new byte[] { 0, 0b0010_0000 }), 10));
        Assert.Throws<PeerProtocolException>(() => BitField.FromWire(new ReadOnlySequence<byte>(new byte[] { 0 }), 10));
    }
}
