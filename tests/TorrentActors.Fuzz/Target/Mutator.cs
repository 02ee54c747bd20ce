using TorrentActors.Engine.Bencoding;

namespace TorrentActors.Fuzz;

/// <summary>
/// Deterministic input generator for the smoke run: takes valid torrents and bencode documents and applies
/// bit flips, byte replacements with bencode's structural bytes, truncations, splices, string length prefix
/// tweaks (including huge ones) and deep nesting. The same seed gives the same inputs.
/// </summary>
public sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = "ield:-0123456789e"u8.ToArray();

    private static readonly string[] Lengths =
        ["0", "1", "19", "20", "21", "255", "65536", "2147483647", "2147483648", "1099511627776", "99999999999999999999", "-1", "01"];

    private readonly Random _random = new(seed);

    public static IReadOnlyList<byte[]> Seeds { get; } = BuildSeeds();

    public byte[] Next()
    {
        var input = Seeds[_random.Next(Seeds.Count)];
        var mutations = 1 + _random.Next(4);
        for (var i = 0; i < mutations; i++)
        {
            input = Mutate(input);
        }

        return input;
    }

    private byte[] Mutate(byte[] input)
    {
        if (input.Length == 0)
        {
            return [Interesting[_random.Next(Interesting.Length)]];
        }

        switch (_random.Next(9))
        {
            case 0:
            {
                var copy = (byte[])input.Clone();
                copy[_random.Next(copy.Length)] ^= (byte)(1 << _random.Next(8));
                return copy;
            }

            case 1:
            {
                var copy = (byte[])input.Clone();
                copy[_random.Next(copy.Length)] = Interesting[_random.Next(Interesting.Length)];
                return copy;
            }

            case 2:
                return input[.._random.Next(input.Length)];
            case 3:
            {
                var other = Seeds[_random.Next(Seeds.Count)];
                var cut = _random.Next(input.Length + 1);
                var from = _random.Next(other.Length + 1);
                return [.. input.AsSpan(0, cut), .. other.AsSpan(from)];
            }

            case 4:
                return TweakLengthPrefix(input);
            case 5:
            {
                var at = _random.Next(input.Length + 1);
                var depth = _random.Next(2) == 0 ? _random.Next(1, 200) : _random.Next(1000, 5000);
                var open = _random.Next(2) == 0 ? (byte)'l' : (byte)'d';
                return [.. input.AsSpan(0, at), .. Enumerable.Repeat(open, depth), .. input.AsSpan(at)];
            }

            case 6:
            {
                var start = _random.Next(input.Length);
                var length = _random.Next(1, Math.Min(64, input.Length - start) + 1);
                return [.. input.AsSpan(0, start + length), .. input.AsSpan(start, length), .. input.AsSpan(start + length)];
            }

            case 7:
            {
                var start = _random.Next(input.Length);
                var length = _random.Next(1, Math.Min(64, input.Length - start) + 1);
                return [.. input.AsSpan(0, start), .. input.AsSpan(start + length)];
            }

            default:
            {
                var at = _random.Next(input.Length + 1);
                var integer = System.Text.Encoding.ASCII.GetBytes($"i{Lengths[_random.Next(Lengths.Length)]}e");
                return [.. input.AsSpan(0, at), .. integer, .. input.AsSpan(at)];
            }
        }
    }

    /// <summary>Replaces the digits of one "N:" string length prefix with another (often wrong) length.</summary>
    private byte[] TweakLengthPrefix(byte[] input)
    {
        var colons = new List<int>();
        for (var i = 1; i < input.Length; i++)
        {
            if (input[i] == (byte)':' && input[i - 1] is >= (byte)'0' and <= (byte)'9')
            {
                colons.Add(i);
            }
        }

        if (colons.Count == 0)
        {
            return input;
        }

        var colon = colons[_random.Next(colons.Count)];
        var start = colon;
        while (start > 0 && input[start - 1] is >= (byte)'0' and <= (byte)'9')
        {
            start--;
        }

        var replacement = System.Text.Encoding.ASCII.GetBytes(Lengths[_random.Next(Lengths.Length)]);
        return [.. input.AsSpan(0, start), .. replacement, .. input.AsSpan(colon)];
    }

    private static IReadOnlyList<byte[]> BuildSeeds()
    {
        static BDictionary Dict(params (string Key, BValue Value)[] entries) =>
            new(entries.Select(e => new KeyValuePair<BString, BValue>(e.Key, e.Value)));

        static BString Pieces(int count) => new(Enumerable.Range(0, count * 20).Select(i => (byte)(i * 7)).ToArray());

        var single = Dict(
            ("announce", new BString("http://127.0.0.1:6969/announce")),
            ("comment", new BString("seed")),
            ("creation date", new BInteger(1_700_000_000)),
            ("info", Dict(("length", new BInteger(40_000)), ("name", new BString("file.bin")), ("piece length", new BInteger(16_384)), ("pieces", Pieces(3)))));
        var multi = Dict(
            ("announce-list", new BList(new BList(new BString("http://a.example/announce")), new BList(new BString("udp://b.example:80")))),
            ("info", Dict(
                ("files", new BList(
                    Dict(("length", new BInteger(20_000)), ("path", new BList(new BString("cd1"), new BString("01.flac")))),
                    Dict(("length", new BInteger(0)), ("path", new BList(new BString("empty")))),
                    Dict(("length", new BInteger(13_000)), ("path", new BList(new BString("cover.jpg")))))),
                ("name", new BString("album")),
                ("piece length", new BInteger(16_384)),
                ("pieces", Pieces(3)),
                ("private", new BInteger(1)))),
            ("url-list", new BList(new BString("http://web.example/"))));
        return
        [
            single.Encode(),
            multi.Encode(),
            "d3:bar4:spam3:fooi42ee"u8.ToArray(),
            "li-1e0:leldeed1:ai0eee"u8.ToArray(),
            "i9223372036854775807e"u8.ToArray(),
        ];
    }
}
