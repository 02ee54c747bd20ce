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

    [Theory]
    [MemberData(nameof(Messages))]
    public void Reader_parses_each_message_whole_and_one_byte_per_segment(string name, byte[] encoded, byte[] expected)
    {
        Assert.Equal(expected, encoded);
        foreach (var sequence in new[] { new ReadOnlySequence<byte>(encoded), Segments.OneBytePerSegment(encoded) })
        {
            var buffer = sequence;
            Assert.True(PeerMessageReader.TryRead(ref buffer, bitfieldLength: 1, out var message), name);
            Assert.Equal(0, buffer.Length);
            var kind = encoded.Length == 4 ? PeerMessageKind.KeepAlive : (PeerMessageKind)encoded[4];
            Assert.Equal(kind, message.Kind);
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
    [InlineData(new byte[] { 0, 0, 0x40, 0x0A, 7 }, "piece larger than a block")]
    [InlineData(new byte[] { 0, 0, 0, 3, 5 }, "bitfield of the wrong size")]
    [InlineData(new byte[] { 0, 0, 0, 2, 0 }, "choke with a payload")]
    [InlineData(new byte[] { 0, 0, 0, 12, 6 }, "short request")]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 200 }, "huge unknown message")]
    [InlineData(new byte[] { 0x01, 0, 0, 0, 20 }, "huge extended message")]
    public void Reader_rejects_bad_lengths_before_buffering_the_body(byte[] prefix, string why)
    {
        var buffer = new ReadOnlySequence<byte>(prefix);
        Assert.Throws<PeerProtocolException>(() => PeerMessageReader.TryRead(ref buffer, bitfieldLength: 1, out _));
        Assert.NotNull(why);
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
