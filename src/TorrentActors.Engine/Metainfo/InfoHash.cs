using System.Security.Cryptography;

namespace TorrentActors.Engine.Metainfo;

/// <summary>The 20-byte SHA-1 of a torrent's bencoded info dictionary (BEP 3), the torrent's identity.</summary>
public readonly struct InfoHash : IEquatable<InfoHash>
{
    public const int Length = 20;

    private readonly byte[] _bytes;

    public InfoHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"An infohash is {Length} bytes, not {bytes.Length}.", nameof(bytes));
        }

        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Span => _bytes ?? new byte[Length];

    public byte[] ToArray() => Span.ToArray();

    public static InfoHash Compute(ReadOnlySpan<byte> encodedInfo) => new(SHA1.HashData(encodedInfo));

    public string ToHex() => Convert.ToHexStringLower(Span);

    public static InfoHash FromHex(string hex) => new(Convert.FromHexString(hex));

    public static bool TryParseHex(string? hex, out InfoHash hash)
    {
        hash = default;
        if (hex is null || hex.Length != Length * 2)
        {
            return false;
        }

        try
        {
            hash = FromHex(hex);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public bool Equals(InfoHash other) => Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => obj is InfoHash other && Equals(other);

    public override int GetHashCode() => BitConverter.ToInt32(Span);

    public override string ToString() => ToHex();

    public static bool operator ==(InfoHash left, InfoHash right) => left.Equals(right);

    public static bool operator !=(InfoHash left, InfoHash right) => !left.Equals(right);
}
