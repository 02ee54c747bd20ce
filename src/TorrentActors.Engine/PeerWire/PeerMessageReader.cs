using System.Buffers;
using System.Buffers.Binary;

namespace TorrentActors.Engine.PeerWire;

/// <summary>
/// Parses length-prefixed peer messages (BEP 3): &lt;length u32 BE&gt;&lt;id u8&gt;&lt;payload&gt;.
/// Every length is checked against its id before the body is waited for, so a peer cannot make us buffer
/// more than one block plus header (or one bitfield of the torrent's size).
/// </summary>
public static class PeerMessageReader
{
    /// <param name="buffer">Unread input; on success it is advanced past the message.</param>
    /// <param name="bitfieldLength">The only bitfield body length accepted: ceil(pieces / 8).</param>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, int bitfieldLength, out PeerMessage message)
    {
        message = default;
        if (buffer.Length < 4)
        {
            return false;
        }

        uint length;
        if (buffer.FirstSpan.Length >= 5)
        {
            length = BinaryPrimitives.ReadUInt32BigEndian(buffer.FirstSpan);
        }
        else
        {
            Span<byte> prefix = stackalloc byte[4];
            buffer.Slice(0, 4).CopyTo(prefix);
            length = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        }

        if (length == 0)
        {
            message = new PeerMessage(PeerMessageKind.KeepAlive);
            buffer = buffer.Slice(4);
            return true;
        }

        if (buffer.Length < 5)
        {
            return false;
        }

        var id = buffer.FirstSpan.Length >= 5 ? buffer.FirstSpan[4] : buffer.Slice(4, 1).FirstSpan[0];
        CheckLength((PeerMessageKind)id, length, bitfieldLength);
        if (buffer.Length < 4 + (long)length)
        {
            return false;
        }

        var body = buffer.Slice(5, length - 1);
        message = Parse((PeerMessageKind)id, body);
        buffer = buffer.Slice(4 + length);
        return true;
    }

    private static void CheckLength(PeerMessageKind id, uint length, int bitfieldLength)
    {
        var ok = id switch
        {
            PeerMessageKind.Choke or PeerMessageKind.Unchoke or PeerMessageKind.Interested or PeerMessageKind.NotInterested
                or PeerMessageKind.HaveAll or PeerMessageKind.HaveNone => length == 1,
            PeerMessageKind.Have or PeerMessageKind.Suggest or PeerMessageKind.AllowedFast => length == 5,
            PeerMessageKind.Request or PeerMessageKind.Cancel or PeerMessageKind.Reject => length == 13,
            PeerMessageKind.Port => length == 3,
            PeerMessageKind.Bitfield => length == 1 + (uint)bitfieldLength,
            PeerMessageKind.Piece => length is > 9 and <= PeerWireConstants.MaxPieceMessageLength,
            PeerMessageKind.Extended => length is >= 2 and <= PeerWireConstants.MaxExtendedMessageLength,
            _ => length <= PeerWireConstants.MaxUnknownMessageLength,
        };
        if (!ok)
        {
            throw new PeerProtocolException($"message id {(byte)id} with length {length} is not allowed");
        }
    }

    private static PeerMessage Parse(PeerMessageKind id, ReadOnlySequence<byte> body)
    {
        switch (id)
        {
            case PeerMessageKind.Choke or PeerMessageKind.Unchoke or PeerMessageKind.Interested or PeerMessageKind.NotInterested
                or PeerMessageKind.HaveAll or PeerMessageKind.HaveNone:
                return new PeerMessage(id);
            case PeerMessageKind.Have or PeerMessageKind.Suggest or PeerMessageKind.AllowedFast:
                return new PeerMessage(id, index: ReadInt(body, 0));
            case PeerMessageKind.Request or PeerMessageKind.Cancel or PeerMessageKind.Reject:
                return new PeerMessage(id, ReadInt(body, 0), ReadInt(body, 4), ReadInt(body, 8));
            case PeerMessageKind.Port:
            {
                Span<byte> port = stackalloc byte[2];
                body.Slice(0, 2).CopyTo(port);
                return new PeerMessage(id, index: BinaryPrimitives.ReadUInt16BigEndian(port));
            }

            case PeerMessageKind.Bitfield:
                return new PeerMessage(id, payload: body);
            case PeerMessageKind.Piece:
                return new PeerMessage(id, ReadInt(body, 0), ReadInt(body, 4), (int)body.Length - 8, body.Slice(8));
            case PeerMessageKind.Extended:
                return new PeerMessage(id, payload: body.Slice(1), extendedId: body.FirstSpan[0]);
            default:
                return new PeerMessage(PeerMessageKind.Unknown, index: (byte)id);
        }
    }

    private static int ReadInt(ReadOnlySequence<byte> body, int offset)
    {
        var first = body.FirstSpan;
        if (first.Length >= offset + 4)
        {
            return BinaryPrimitives.ReadInt32BigEndian(first[offset..]);
        }

        Span<byte> bytes = stackalloc byte[4];
        body.Slice(offset, 4).CopyTo(bytes);
        return BinaryPrimitives.ReadInt32BigEndian(bytes);
    }
}
