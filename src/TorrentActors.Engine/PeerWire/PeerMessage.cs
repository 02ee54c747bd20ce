using System.Buffers;

namespace TorrentActors.Engine.PeerWire;

/// <summary>
/// One parsed message. <see cref="Payload"/> (bitfield bits, piece data, extended body) is a slice of the
/// reader's buffer: it is valid only until the reader advances.
/// </summary>
public readonly struct PeerMessage
{
    public PeerMessage(PeerMessageKind kind, int index = 0, int begin = 0, int length = 0, ReadOnlySequence<byte> payload = default, byte extendedId = 0)
    {
        Kind = kind;
        Index = index;
        Begin = begin;
        Length = length;
        Payload = payload;
        ExtendedId = extendedId;
    }

    public PeerMessageKind Kind { get; }

    /// <summary>Piece index (have, request, piece, cancel, reject, suggest, allowed fast) or the DHT port.</summary>
    public int Index { get; }

    public int Begin { get; }

    /// <summary>Block length of request/cancel/reject; the data length of a piece message.</summary>
    public int Length { get; }

    public ReadOnlySequence<byte> Payload { get; }

    public byte ExtendedId { get; }
}
