using System.Text;

namespace TorrentActors.Engine.Bencoding;

/// <summary>A decoded or constructed bencode value (BEP 3): byte string, integer, list or dictionary.</summary>
public abstract class BValue
{
    private protected BValue()
    {
    }

    /// <summary>The exact bytes this value was decoded from; empty for values built in code.</summary>
    public ReadOnlyMemory<byte> Raw { get; internal set; }

    public byte[] Encode() => BencodeWriter.Encode(this);
}

public sealed class BString : BValue, IComparable<BString>, IEquatable<BString>
{
    public BString(ReadOnlyMemory<byte> bytes) => Bytes = bytes;

    public BString(string text) => Bytes = Encoding.UTF8.GetBytes(text);

    public ReadOnlyMemory<byte> Bytes { get; }

    public ReadOnlySpan<byte> Span => Bytes.Span;

    public int Length => Bytes.Length;

    /// <summary>The bytes read as UTF-8 (invalid sequences become U+FFFD).</summary>
    public string Text => Encoding.UTF8.GetString(Bytes.Span);

    public int CompareTo(BString? other) => other is null ? 1 : Span.SequenceCompareTo(other.Span);

    public bool Equals(BString? other) => other is not null && Span.SequenceEqual(other.Span);

    public override bool Equals(object? obj) => obj is BString other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Span);
        return hash.ToHashCode();
    }

    public override string ToString() => Text;

    public static implicit operator BString(string text) => new(text);
}

public sealed class BInteger(long value) : BValue
{
    public long Value { get; } = value;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static implicit operator BInteger(long value) => new(value);
}

public sealed class BList : BValue
{
    public BList(IEnumerable<BValue> items) => Items = items.ToArray();

    public BList(params BValue[] items) => Items = items;

    public IReadOnlyList<BValue> Items { get; }

    public int Count => Items.Count;

    public BValue this[int index] => Items[index];
}

/// <summary>A dictionary whose keys are byte strings kept in sorted (raw byte) order, as BEP 3 requires.</summary>
public sealed class BDictionary : BValue
{
    private readonly KeyValuePair<BString, BValue>[] _entries;

    public BDictionary(IEnumerable<KeyValuePair<BString, BValue>> entries)
    {
        _entries = entries.ToArray();
        Array.Sort(_entries, static (a, b) => a.Key.CompareTo(b.Key));
        for (var i = 1; i < _entries.Length; i++)
        {
            if (_entries[i - 1].Key.Equals(_entries[i].Key))
            {
                throw new ArgumentException($"Duplicate dictionary key '{_entries[i].Key}'.", nameof(entries));
            }
        }
    }

    internal BDictionary(KeyValuePair<BString, BValue>[] sortedEntries, bool alreadySorted)
    {
        _entries = sortedEntries;
        if (!alreadySorted)
        {
            Array.Sort(_entries, static (a, b) => a.Key.CompareTo(b.Key));
        }
    }

    public IReadOnlyList<KeyValuePair<BString, BValue>> Entries => _entries;

    public int Count => _entries.Length;

    public BValue? this[string key] => TryGetValue(key, out var value) ? value : null;

    public bool TryGetValue(string key, out BValue value)
    {
        Span<byte> buffer = stackalloc byte[256];
        var count = Encoding.UTF8.GetByteCount(key);
        var keyBytes = count <= buffer.Length ? buffer[..count] : new byte[count];
        Encoding.UTF8.GetBytes(key, keyBytes);
        return TryGetValue(keyBytes, out value);
    }

    public bool TryGetValue(ReadOnlySpan<byte> key, out BValue value)
    {
        int lo = 0, hi = _entries.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var cmp = _entries[mid].Key.Span.SequenceCompareTo(key);
            if (cmp == 0)
            {
                value = _entries[mid].Value;
                return true;
            }

            if (cmp < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        value = null!;
        return false;
    }

    public bool TryGet<T>(string key, out T value)
        where T : BValue
    {
        if (TryGetValue(key, out var found) && found is T typed)
        {
            value = typed;
            return true;
        }

        value = null!;
        return false;
    }

    public T? Get<T>(string key)
        where T : BValue => TryGet<T>(key, out var value) ? value : null;

    public string? GetText(string key) => Get<BString>(key)?.Text;

    public long? GetInteger(string key) => Get<BInteger>(key)?.Value;
}
