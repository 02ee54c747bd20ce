using System.Buffers;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Engine.PeerWire;

/// <summary>
/// The BEP 3 handshake: &lt;pstrlen=19&gt;&lt;"BitTorrent protocol"&gt;&lt;reserved 8&gt;&lt;info_hash 20&gt;&lt;peer_id 20&gt;, 68 bytes.
/// Reserved bits: byte 5 &amp; 0x10 = extension protocol (BEP 10), byte 7 &amp; 0x04 = fast extension (BEP 6).
/// </summary>
public sealed record Handshake(InfoHash InfoHash, byte[] PeerId, bool SupportsExtensions, bool SupportsFast)
{
    public const int Length = 68;

    private static ReadOnlySpan<byte> Protocol => "BitTorrent protocol"u8;

    public int Encode(Span<byte> destination)
    {
        destination = destination[..Length];
        destination.Clear();
        destination[0] = 19;
        Protocol.CopyTo(destination[1..]);
        if (SupportsExtensions)
        {
            destination[20 + 5] |= 0x10;
        }

        if (SupportsFast)
        {
            destination[20 + 7] |= 0x04;
        }

        InfoHash.Span.CopyTo(destination[28..]);
        PeerId.AsSpan(0, 20).CopyTo(destination[48..]);
        return Length;
    }

    /// <summary>False until 68 bytes are there; a wrong protocol string throws before anything else is read.</summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out Handshake? handshake)
    {
        handshake = null;
        if (buffer.Length < 1)
        {
            return false;
        }

        if (buffer.FirstSpan[0] != 19)
        {
            throw new PeerProtocolException($"handshake protocol length is {buffer.FirstSpan[0]}, not 19");
        }

        if (buffer.Length < Length)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Length];
        buffer.Slice(0, Length).CopyTo(bytes);
        if (!bytes.Slice(1, 19).SequenceEqual(Protocol))
        {
            throw new PeerProtocolException("handshake protocol is not 'BitTorrent protocol'");
        }

        handshake = new Handshake(
            new InfoHash(bytes.Slice(28, 20)),
            bytes.Slice(48, 20).ToArray(),
            (bytes[20 + 5] & 0x10) != 0,
            (bytes[20 + 7] & 0x04) != 0);
        buffer = buffer.Slice(Length);
        return true;
    }
}
