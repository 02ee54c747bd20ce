using System.Buffers;
using System.Text;
using TorrentActors.Engine.Bencoding;
using Xunit;

namespace TorrentActors.Engine.Tests.Bencoding;

public sealed class BencodeReaderTests
{
    private static BValue Decode(string text, BencodeReaderOptions? options = null) =>
        BencodeReader.Decode(Encoding.ASCII.GetBytes(text), options);

    private static BencodeException Rejects(string text, BencodeReaderOptions? options = null) =>
        Assert.Throws<BencodeException>(() => Decode(text, options));

    [Theory]
    [InlineData("i0e", 0L)]
    [InlineData("i42e", 42L)]
    [InlineData("i-42e", -42L)]
    [InlineData("i9223372036854775807e", long.MaxValue)]
    [InlineData("i-9223372036854775808e", long.MinValue)]
    public void Reader_decodes_integers_across_the_whole_long_range(string text, long expected) =>
        Assert.Equal(expected, Assert.IsType<BInteger>(Decode(text)).Value);

    [Theory]
    [InlineData("i9223372036854775808e")]
    [InlineData("i-9223372036854775809e")]
    [InlineData("i99999999999999999999e")]
    [InlineData("i18446744073709551616e")]
    public void Reader_rejects_integers_outside_the_long_range(string text) =>
        Assert.Contains("out of range", Rejects(text).Reason);

    [Theory]
    [InlineData("i03e", "leading zero")]
    [InlineData("i-03e", "leading zero")]
    [InlineData("i00e", "leading zero")]
    [InlineData("i-0e", "negative zero")]
    [InlineData("ie", "without digits")]
    [InlineData("i-e", "without digits")]
    [InlineData("i1.5e", "unexpected byte")]
    [InlineData("i+1e", "unexpected byte")]
    [InlineData("i 1e", "unexpected byte")]
    [InlineData("i12", "unterminated")]
    [InlineData("03:abc", "leading zero")]
    [InlineData("-1:a", "unexpected byte")]
    [InlineData("3:ab", "exceeds")]
    [InlineData("3", "unterminated")]
    [InlineData("x", "unexpected byte")]
    [InlineData("", "end of input")]
    [InlineData("l", "unterminated list")]
    [InlineData("li1e", "unterminated list")]
    [InlineData("d", "unterminated dictionary")]
    [InlineData("d1:a", "end of input")]
    [InlineData("di1ei2ee", "not a byte string")]
    [InlineData("d1:ai1e1:ai2ee", "duplicate")]
    [InlineData("d1:bi1e1:ai2ee", "out of order")]
    [InlineData("i1ei2e", "after the end")]
    [InlineData("e", "unexpected byte")]
    public void Reader_rejects_malformed_input_with_a_reason(string text, string reason) =>
        Assert.Contains(reason, Rejects(text).Reason);

    [Theory]
    [InlineData("i1x", 2)]
    [InlineData("li1ei2ex", 7)]
    [InlineData("d1:ai1e1:ai2ee", 7)]
    [InlineData("l5:abce", 1)]
    [InlineData("i1ei2e", 3)]
    public void Reader_reports_the_byte_offset_of_the_problem(string text, long offset)
    {
        var error = Rejects(text);
        Assert.Equal(offset, error.Offset);
        Assert.Contains($"byte {offset}", error.Message);
    }

    [Fact]
    public void Reader_decodes_strings_including_empty_and_binary_ones()
    {
        Assert.Empty(Assert.IsType<BString>(Decode("0:")).Span.ToArray());
        var binary = BencodeReader.Decode(new byte[] { (byte)'3', (byte)':', 0, 255, 10 });
        Assert.Equal(new byte[] { 0, 255, 10 }, Assert.IsType<BString>(binary).Span.ToArray());
    }

    [Fact]
    public void Reader_decodes_nested_structures_and_keeps_raw_bytes()
    {
        var root = Assert.IsType<BDictionary>(Decode("d4:infod4:name1:xe4:listli1e0:lee1:zi-1ee"));
        Assert.Equal("d4:name1:xe", Encoding.ASCII.GetString(root.Get<BDictionary>("info")!.Raw.Span));
        var list = root.Get<BList>("list")!;
        Assert.Equal(3, list.Count);
        Assert.Equal("li1e0:lee", Encoding.ASCII.GetString(list.Raw.Span));
        Assert.Equal(-1, root.GetInteger("z"));
        Assert.Equal("x", root.Get<BDictionary>("info")!.GetText("name"));
    }

    [Fact]
    public void Lenient_reader_accepts_unsorted_keys_but_keeps_the_bytes_as_received()
    {
        var text = "d4:infod4:name1:x1:ai1eee";
        var root = Assert.IsType<BDictionary>(Decode(text, BencodeReaderOptions.Lenient));
        var info = root.Get<BDictionary>("info")!;
        Assert.Equal("d4:name1:x1:ai1ee", Encoding.ASCII.GetString(info.Raw.Span));
        Assert.Equal(1, info.GetInteger("a"));
        Assert.Equal("x", info.GetText("name"));
    }

    [Fact]
    public void Lenient_reader_still_rejects_duplicate_keys_that_are_not_adjacent() =>
        Assert.Contains("duplicate", Rejects("d1:bi1e1:ai2e1:bi3ee", BencodeReaderOptions.Lenient).Reason);

    [Theory]
    [InlineData('l')]
    [InlineData('d')]
    public void Reader_rejects_100000_deep_nesting_without_overflowing_the_stack(char open)
    {
        var text = open == 'l'
            ? new string('l', 100_000) + new string('e', 100_000)
            : string.Concat(Enumerable.Repeat("d1:a", 100_000)) + "i1e" + new string('e', 100_000);
        Assert.Contains("nesting", Rejects(text).Reason);
    }

    [Fact]
    public void Reader_accepts_nesting_up_to_the_limit()
    {
        var options = BencodeReaderOptions.Strict with { MaxDepth = 10 };
        Decode(new string('l', 10) + new string('e', 10), options);
        Assert.Contains("nesting", Rejects(new string('l', 11) + new string('e', 11), options).Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(BencodeReaderOptions.DepthCeiling + 1)]
    public void Options_refuse_a_depth_limit_that_could_exhaust_the_stack(int depth) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => BencodeReaderOptions.Strict with { MaxDepth = depth });

    [Fact]
    public void Reader_rejects_a_string_length_of_two_to_the_forty_without_allocating_it()
    {
        var text = Encoding.ASCII.GetBytes($"{1L << 40}:abc");
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<BencodeException>(() => BencodeReader.Decode(text));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("exceeds", error.Reason);
        Assert.Equal(0, error.Offset);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Reader_stops_at_the_value_limit_counting_keys_too()
    {
        var options = BencodeReaderOptions.Strict with { MaxValues = 5 };
        Decode("li1ei2ei3ei4ee", options);
        Assert.Contains("more than 5 values", Rejects("li1ei2ei3ei4ei5ee", options).Reason);
        Decode("d1:ai1e1:bi2ee", options);
        Assert.Contains("more than 5 values", Rejects("d1:ai1e1:bi2e1:ci3ee", options).Reason);
    }

    [Fact]
    public void Reader_rejects_a_string_length_beyond_the_long_range() =>
        Assert.Contains("out of range", Rejects("99999999999999999999999:a").Reason);

    [Fact]
    public void Every_truncation_of_a_valid_document_is_a_bencode_exception()
    {
        var valid = Encoding.ASCII.GetBytes("d1:ai-12e1:bl3:xyzi0eld1:ci7eeee1:d0:e");
        BencodeReader.Decode(valid);
        for (var length = 0; length < valid.Length; length++)
        {
            var error = Assert.Throws<BencodeException>(() => BencodeReader.Decode(valid.AsMemory(0, length)));
            Assert.InRange(error.Offset, 0, length);
        }
    }

    [Fact]
    public void Reader_reports_how_much_it_consumed_when_trailing_data_is_allowed()
    {
        var value = BencodeReader.Decode(Encoding.ASCII.GetBytes("li1eeXYZ"), BencodeReaderOptions.Strict, out var consumed);
        Assert.Equal(5, consumed);
        Assert.IsType<BList>(value);
        var tolerant = BencodeReaderOptions.Strict with { AllowTrailingData = true };
        Assert.IsType<BList>(Decode("li1eeXYZ", tolerant));
    }

    [Fact]
    public void Reader_decodes_a_sequence_split_into_one_byte_segments()
    {
        var bytes = Encoding.ASCII.GetBytes("d3:bar4:spam3:fooi42ee");
        var root = Assert.IsType<BDictionary>(BencodeReader.Decode(OneBytePerSegment(bytes)));
        Assert.Equal("spam", root.GetText("bar"));
        Assert.Equal(42, root.GetInteger("foo"));
        Assert.Equal(bytes, root.Raw.ToArray());
    }

    [Fact]
    public void Decode_dictionary_rejects_a_root_that_is_not_a_dictionary() =>
        Assert.Throws<BencodeException>(() => BencodeReader.DecodeDictionary(Encoding.ASCII.GetBytes("le")));

    internal static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(bytes.AsMemory(0, 1), 0);
        var last = first;
        for (var i = 1; i < bytes.Length; i++)
        {
            last = last.Append(bytes.AsMemory(i, 1));
        }

        return new ReadOnlySequence<byte>(first, 0, last, 1);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
