using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Tracker;

/// <summary>
/// A 20-byte identifier (infohash or peer id) held in registers: no allocation, cheap equality. Packed to 4 bytes,
/// so it takes 20 bytes in a tracked peer instead of 24.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly struct Id20 : IEquatable<Id20>, IComparable<Id20>
{
    public const int Length = 20;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly uint _c;

    public Id20(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"An id is {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _a = MemoryMarshal.Read<ulong>(bytes);
        _b = MemoryMarshal.Read<ulong>(bytes[8..]);
        _c = MemoryMarshal.Read<uint>(bytes[16..]);
    }

    public static Id20 From(InfoHash hash) => new(hash.Span);

    public InfoHash ToInfoHash()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return new InfoHash(bytes);
    }

    public void CopyTo(Span<byte> destination)
    {
        MemoryMarshal.Write(destination, in _a);
        MemoryMarshal.Write(destination[8..], in _b);
        MemoryMarshal.Write(destination[16..], in _c);
    }

    public bool Equals(Id20 other) => _a == other._a && _b == other._b && _c == other._c;

    public override bool Equals(object? obj) => obj is Id20 other && Equals(other);

    /// <summary>
    /// All 20 bytes through <see cref="HashCode"/>, whose seed is random per process: peer ids are not uniform
    /// (client prefix first), and announcers choose infohashes and peer ids, so a fixed mix could be flooded with
    /// ids that all land in one bucket.
    /// </summary>
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c);

    /// <summary>Byte-wise order (the order of bencoded dictionary keys).</summary>
    public int CompareTo(Id20 other) => Compare(this, other);

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    private static int Compare(Id20 left, Id20 right)
    {
        Span<byte> a = stackalloc byte[Length];
        Span<byte> b = stackalloc byte[Length];
        left.CopyTo(a);
        right.CopyTo(b);
        return a.SequenceCompareTo(b);
    }
}

/// <summary>A peer's address and port, IPv4 kept as its 4 bytes, IPv6 as 16; no allocation. Packed: 20 bytes, not 24.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly struct PeerEndpoint : IEquatable<PeerEndpoint>
{
    private readonly ulong _high;
    private readonly ulong _low;

    private PeerEndpoint(ulong high, ulong low, ushort port, bool isV4)
    {
        _high = high;
        _low = low;
        Port = port;
        IsV4 = isV4;
    }

    public ushort Port { get; }

    public bool IsV4 { get; }

    /// <summary>127.0.0.0/8 or ::1.</summary>
    public bool IsLoopback => IsV4 ? (_low >> 24 & 0xFF) == 127 : _high == 0 && _low == 1;

    /// <summary>From an address; IPv4-mapped IPv6 addresses count as IPv4.</summary>
    public static PeerEndpoint From(IPAddress address, ushort port)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return FromBytes(bytes[..written], port);
    }

    /// <summary>From 4 (IPv4) or 16 (IPv6) address bytes in network order; IPv4-mapped IPv6 counts as IPv4.</summary>
    public static PeerEndpoint FromBytes(ReadOnlySpan<byte> address, ushort port)
    {
        if (address.Length == 4)
        {
            return new PeerEndpoint(0, BinaryPrimitives.ReadUInt32BigEndian(address), port, true);
        }

        var high = BinaryPrimitives.ReadUInt64BigEndian(address);
        var low = BinaryPrimitives.ReadUInt64BigEndian(address[8..]);
        return high == 0 && low >> 32 == 0xFFFF
            ? new PeerEndpoint(0, low & 0xFFFF_FFFF, port, true)
            : new PeerEndpoint(high, low, port, false);
    }

    public PeerEndpoint WithPort(ushort port) => new(_high, _low, port, IsV4);

    /// <summary>Compact form (BEP 23 / BEP 7): 4 or 16 address bytes then the port, big-endian. Returns bytes written.</summary>
    public int WriteCompact(Span<byte> destination)
    {
        if (IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)_low);
            BinaryPrimitives.WriteUInt16BigEndian(destination[4..], Port);
            return 6;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _low);
        BinaryPrimitives.WriteUInt16BigEndian(destination[16..], Port);
        return 18;
    }

    public IPAddress ToAddress()
    {
        Span<byte> bytes = stackalloc byte[18];
        var length = WriteCompact(bytes) - 2;
        return new IPAddress(bytes[..length]);
    }

    public bool Equals(PeerEndpoint other) => _high == other._high && _low == other._low && Port == other.Port && IsV4 == other.IsV4;

    public override bool Equals(object? obj) => obj is PeerEndpoint other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _low, Port);

    public override string ToString() => IsV4 ? $"{ToAddress()}:{Port}" : $"[{ToAddress()}]:{Port}";
}
