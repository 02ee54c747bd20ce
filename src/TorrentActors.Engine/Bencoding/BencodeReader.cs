using System.Buffers;

namespace TorrentActors.Engine.Bencoding;

public sealed record BencodeReaderOptions
{
    public static readonly BencodeReaderOptions Strict = new();

    /// <summary>Strict about structure, tolerant of unsorted dictionary keys (some peers and trackers send them).</summary>
    public static readonly BencodeReaderOptions Lenient = new() { RequireSortedKeys = false };

    /// <summary>The highest <see cref="MaxDepth"/> allowed, low enough that decoding can never exhaust the stack.</summary>
    public const int DepthCeiling = 1024;

    /// <summary>
    /// Deepest nesting of lists and dictionaries accepted (1 to <see cref="DepthCeiling"/>);
    /// deeper input is rejected before recursing.
    /// </summary>
    public int MaxDepth
    {
        get => _maxDepth;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, DepthCeiling);
            _maxDepth = value;
        }
    }

    private readonly int _maxDepth = 128;

    public bool RequireSortedKeys { get; init; } = true;

    /// <summary>
    /// Most values (including dictionary keys) one input may hold. Each decoded value costs a few dozen bytes,
    /// so this bounds the memory a hostile input can make us allocate, independently of its size in bytes.
    /// </summary>
    public int MaxValues { get; init; } = int.MaxValue;

    /// <summary>When false, bytes after the root value are an error.</summary>
    public bool AllowTrailingData { get; init; }
}

/// <summary>
/// Decodes bencode (BEP 3). Strict where the spec is: integers without leading zeros or <c>-0</c>,
/// string lengths checked against the remaining input before anything is allocated, unique keys,
/// a nesting limit, nothing after the root value. Decoded values keep their raw bytes, so the
/// infohash is taken over the <c>info</c> dictionary exactly as received.
/// </summary>
public static class BencodeReader
{
    public static BValue Decode(ReadOnlyMemory<byte> input, BencodeReaderOptions? options = null)
    {
        var value = Decode(input, options ?? BencodeReaderOptions.Strict, out var consumed);
        if (consumed != input.Length && !(options?.AllowTrailingData ?? false))
        {
            throw new BencodeException("data after the end of the root value", consumed);
        }

        return value;
    }

    public static BValue Decode(ReadOnlySequence<byte> input, BencodeReaderOptions? options = null) =>
        Decode(input.IsSingleSegment ? input.First : input.ToArray(), options);

    /// <summary>Decodes the first value in <paramref name="input"/> and reports how many bytes it took.</summary>
    public static BValue Decode(ReadOnlyMemory<byte> input, BencodeReaderOptions options, out int consumed)
    {
        var position = 0;
        var values = 0;
        var value = ReadValue(input, ref position, 0, options, ref values);
        consumed = position;
        return value;
    }

    public static BDictionary DecodeDictionary(ReadOnlyMemory<byte> input, BencodeReaderOptions? options = null) =>
        Decode(input, options) as BDictionary ?? throw new BencodeException("the root value is not a dictionary", 0);

    private static BValue ReadValue(ReadOnlyMemory<byte> input, ref int position, int depth, BencodeReaderOptions options, ref int values)
    {
        var span = input.Span;
        if (position >= span.Length)
        {
            throw new BencodeException("unexpected end of input", position);
        }

        CountValue(ref values, position, options);

        var start = position;
        BValue value;
        switch (span[position])
        {
            case (byte)'i':
                position++;
                value = new BInteger(ReadInteger(span, ref position, (byte)'e'));
                break;
            case (byte)'l':
                value = ReadList(input, ref position, depth + 1, options, ref values);
                break;
            case (byte)'d':
                value = ReadDictionary(input, ref position, depth + 1, options, ref values);
                break;
            case >= (byte)'0' and <= (byte)'9':
                value = ReadString(input, ref position);
                break;
            default:
                throw new BencodeException($"unexpected byte 0x{span[position]:x2}", position);
        }

        value.Raw = input[start..position];
        return value;
    }

    private static BString ReadString(ReadOnlyMemory<byte> input, ref int position)
    {
        var span = input.Span;
        var lengthStart = position;
        var length = ReadInteger(span, ref position, (byte)':');
        if (length < 0)
        {
            throw new BencodeException("negative string length", lengthStart);
        }

        if (length > span.Length - position)
        {
            throw new BencodeException($"string length {length} exceeds the {span.Length - position} bytes left", lengthStart);
        }

        var bytes = input.Slice(position, (int)length);
        position += (int)length;
        return new BString(bytes);
    }

    private static BList ReadList(ReadOnlyMemory<byte> input, ref int position, int depth, BencodeReaderOptions options, ref int values)
    {
        CheckDepth(depth, position, options);
        position++; // 'l'
        var items = new List<BValue>();
        while (true)
        {
            if (position >= input.Length)
            {
                throw new BencodeException("unterminated list", position);
            }

            if (input.Span[position] == (byte)'e')
            {
                position++;
                return new BList(items.ToArray());
            }

            items.Add(ReadValue(input, ref position, depth, options, ref values));
        }
    }

    private static BDictionary ReadDictionary(ReadOnlyMemory<byte> input, ref int position, int depth, BencodeReaderOptions options, ref int values)
    {
        CheckDepth(depth, position, options);
        position++; // 'd'
        var entries = new List<KeyValuePair<BString, BValue>>();
        var sorted = true;
        while (true)
        {
            if (position >= input.Length)
            {
                throw new BencodeException("unterminated dictionary", position);
            }

            var span = input.Span;
            if (span[position] == (byte)'e')
            {
                position++;
                break;
            }

            var keyStart = position;
            if (span[position] is < (byte)'0' or > (byte)'9')
            {
                throw new BencodeException("dictionary key is not a byte string", position);
            }

            CountValue(ref values, position, options);
            var key = ReadString(input, ref position);
            key.Raw = input[keyStart..position];
            if (entries.Count > 0)
            {
                var order = entries[^1].Key.CompareTo(key);
                if (order == 0)
                {
                    throw new BencodeException($"duplicate dictionary key '{key.Text}'", keyStart);
                }

                if (order > 0)
                {
                    if (options.RequireSortedKeys)
                    {
                        throw new BencodeException($"dictionary key '{key.Text}' is out of order", keyStart);
                    }

                    sorted = false;
                }
            }

            var value = ReadValue(input, ref position, depth, options, ref values);
            entries.Add(new(key, value));
        }

        var array = entries.ToArray();
        if (!sorted)
        {
            var keys = new HashSet<BString>();
            foreach (var entry in array)
            {
                if (!keys.Add(entry.Key))
                {
                    throw new BencodeException($"duplicate dictionary key '{entry.Key.Text}'", position);
                }
            }
        }

        return new BDictionary(array, alreadySorted: sorted);
    }

    private static void CountValue(ref int values, int position, BencodeReaderOptions options)
    {
        if (++values > options.MaxValues)
        {
            throw new BencodeException($"more than {options.MaxValues} values", position);
        }
    }

    private static void CheckDepth(int depth, int position, BencodeReaderOptions options)
    {
        if (depth > options.MaxDepth)
        {
            throw new BencodeException($"nesting deeper than {options.MaxDepth}", position);
        }
    }

    /// <summary>
    /// Reads a decimal integer up to <paramref name="terminator"/>: no leading zeros, no -0, nothing outside
    /// the range of <see cref="long"/> (checked digit by digit, so no overflow can slip through).
    /// </summary>
    private static long ReadInteger(ReadOnlySpan<byte> span, ref int position, byte terminator)
    {
        var start = position;
        var negative = false;
        if (position < span.Length && span[position] == (byte)'-')
        {
            if (terminator == (byte)':')
            {
                throw new BencodeException("negative string length", start);
            }

            negative = true;
            position++;
        }

        // Accumulate the magnitude as an unsigned value; long.MinValue's magnitude is one more than long.MaxValue.
        var limit = negative ? (ulong)long.MaxValue + 1 : long.MaxValue;
        var digitsStart = position;
        ulong value = 0;
        while (true)
        {
            if (position >= span.Length)
            {
                throw new BencodeException(terminator == (byte)':' ? "unterminated string length" : "unterminated integer", start);
            }

            var b = span[position];
            if (b == terminator)
            {
                break;
            }

            if (b is < (byte)'0' or > (byte)'9')
            {
                throw new BencodeException($"unexpected byte 0x{b:x2} in integer", position);
            }

            var digit = (ulong)(b - '0');
            if (value > (limit - digit) / 10)
            {
                throw new BencodeException("integer out of range", start);
            }

            value = (value * 10) + digit;
            position++;
        }

        var digits = position - digitsStart;
        if (digits == 0)
        {
            throw new BencodeException("integer without digits", start);
        }

        if (digits > 1 && span[digitsStart] == (byte)'0')
        {
            throw new BencodeException("integer with a leading zero", start);
        }

        if (negative && value == 0)
        {
            throw new BencodeException("negative zero", start);
        }

        position++; // terminator
        return negative ? (long)(0 - value) : (long)value;
    }
}
