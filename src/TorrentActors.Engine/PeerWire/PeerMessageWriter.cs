using System.Buffers.Binary;

namespace TorrentActors.Engine.PeerWire;

/// <summary>
/// Encoders for peer messages into caller memory; each returns the bytes written.
/// Layout (BEP 3): &lt;length u32 BE&gt;&lt;id u8&gt;&lt;payload&gt;, integers big-endian.
/// </summary>
public static class PeerMessageWriter
{
    public const int KeepAliveLength = 4;
    public const int SimpleLength = 5;
    public const int HaveLength = 9;
    public const int RequestLength = 17;
    public const int PieceHeaderLength = 13;

    /// <summary>keep-alive: &lt;len=0000&gt;.</summary>
    public static int WriteKeepAlive(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 0);
        return KeepAliveLength;
    }

    /// <summary>choke, unchoke, interested, not interested (BEP 3), have all, have none (BEP 6): &lt;len=0001&gt;&lt;id&gt;.</summary>
    public static int WriteSimple(Span<byte> destination, PeerMessageKind kind)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 1);
        destination[4] = (byte)kind;
        return SimpleLength;
    }

    /// <summary>have, suggest, allowed fast: &lt;len=0005&gt;&lt;id&gt;&lt;piece index&gt;.</summary>
    public static int WriteHave(Span<byte> destination, int index, PeerMessageKind kind = PeerMessageKind.Have)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 5);
        destination[4] = (byte)kind;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        return HaveLength;
    }

    /// <summary>request, cancel (BEP 3), reject (BEP 6): &lt;len=0013&gt;&lt;id&gt;&lt;index&gt;&lt;begin&gt;&lt;length&gt;.</summary>
    public static int WriteRequest(Span<byte> destination, int index, int begin, int length, PeerMessageKind kind = PeerMessageKind.Request)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 13);
        destination[4] = (byte)kind;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[9..], begin);
        BinaryPrimitives.WriteInt32BigEndian(destination[13..], length);
        return RequestLength;
    }

    /// <summary>The 13-byte header of a piece message: &lt;len=0009+X&gt;&lt;id=7&gt;&lt;index&gt;&lt;begin&gt;; the block follows.</summary>
    public static int WritePieceHeader(Span<byte> destination, int index, int begin, int dataLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(9 + dataLength));
        destination[4] = (byte)PeerMessageKind.Piece;
        BinaryPrimitives.WriteInt32BigEndian(destination[5..], index);
        BinaryPrimitives.WriteInt32BigEndian(destination[9..], begin);
        return PieceHeaderLength;
    }

    /// <summary>bitfield: &lt;len=0001+X&gt;&lt;id=5&gt;&lt;bitfield&gt;, high bit of byte 0 = piece 0.</summary>
    public static int WriteBitfield(Span<byte> destination, ReadOnlySpan<byte> bits)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(1 + bits.Length));
        destination[4] = (byte)PeerMessageKind.Bitfield;
        bits.CopyTo(destination[5..]);
        return 5 + bits.Length;
    }

    /// <summary>extended (BEP 10): &lt;len=0002+X&gt;&lt;id=20&gt;&lt;extended id&gt;&lt;bencoded payload&gt;.</summary>
    public static int WriteExtended(Span<byte> destination, byte extendedId, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)(2 + payload.Length));
        destination[4] = (byte)PeerMessageKind.Extended;
        destination[5] = extendedId;
        payload.CopyTo(destination[6..]);
        return 6 + payload.Length;
    }

    /// <summary>port (BEP 5): &lt;len=0003&gt;&lt;id=9&gt;&lt;listen-port u16&gt;.</summary>
    public static int WritePort(Span<byte> destination, ushort port)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, 3);
        destination[4] = (byte)PeerMessageKind.Port;
        BinaryPrimitives.WriteUInt16BigEndian(destination[5..], port);
        return 7;
    }
}
