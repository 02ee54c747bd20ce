using System.Buffers;
using System.Numerics;

namespace TorrentActors.Engine.PeerWire;

/// <summary>A set of piece indices with the BEP 3 wire form (high bit of byte 0 = piece 0, spare bits zero).</summary>
public sealed class BitField
{
    private readonly byte[] _bytes;

    public BitField(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Length = length;
        _bytes = new byte[ByteLength(length)];
    }

    public int Length { get; }

    public int TrueCount { get; private set; }

    public bool IsEmpty => TrueCount == 0;

    public bool AllSet => TrueCount == Length;

    public ReadOnlySpan<byte> Bytes => _bytes;

    public static int ByteLength(int bits) => (bits + 7) / 8;

    public bool this[int index]
    {
        get => (_bytes[index >> 3] & (0x80 >> (index & 7))) != 0;
        set
        {
            var mask = (byte)(0x80 >> (index & 7));
            var was = (_bytes[index >> 3] & mask) != 0;
            if (was == value)
            {
                return;
            }

            if (value)
            {
                _bytes[index >> 3] |= mask;
                TrueCount++;
            }
            else
            {
                _bytes[index >> 3] &= (byte)~mask;
                TrueCount--;
            }
        }
    }

    public void SetAll()
    {
        for (var i = 0; i < Length; i++)
        {
            this[i] = true;
        }
    }

    public BitField Clone()
    {
        var copy = new BitField(Length);
        _bytes.CopyTo(copy._bytes, 0);
        copy.TrueCount = TrueCount;
        return copy;
    }

    /// <summary>Reads a wire bitfield; set spare bits at the end are a protocol error.</summary>
    public static BitField FromWire(ReadOnlySequence<byte> bits, int length)
    {
        if (bits.Length != ByteLength(length))
        {
            throw new PeerProtocolException($"bitfield is {bits.Length} bytes, expected {ByteLength(length)}");
        }

        var field = new BitField(length);
        bits.CopyTo(field._bytes);
        var spare = field._bytes.Length * 8 - length;
        if (spare > 0 && (field._bytes[^1] & ((1 << spare) - 1)) != 0)
        {
            throw new PeerProtocolException("bitfield has spare bits set");
        }

        var count = 0;
        foreach (var b in field._bytes)
        {
            count += BitOperations.PopCount(b);
        }

        field.TrueCount = count;
        return field;
    }
}
