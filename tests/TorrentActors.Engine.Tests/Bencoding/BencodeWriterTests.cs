using System.Buffers;
using System.Text;
using TorrentActors.Engine.Bencoding;
using Xunit;

namespace TorrentActors.Engine.Tests.Bencoding;

public sealed class BencodeWriterTests
{
    private static string Text(byte[] bytes) => Encoding.ASCII.GetString(bytes);

    [Fact]
    public void Writer_sorts_dictionary_keys_by_raw_bytes()
    {
        var dictionary = new BDictionary(new KeyValuePair<BString, BValue>[]
        {
            new("zeta", new BInteger(1)),
            new("Alpha", new BInteger(2)),
            new("alpha", new BInteger(3)),
            new("piece length", new BInteger(4)),
            new("pieces", new BString("")),
        });
        Assert.Equal("d5:Alphai2e5:alphai3e12:piece lengthi4e6:pieces0:4:zetai1ee", Text(dictionary.Encode()));
    }

    [Fact]
    public void Dictionary_refuses_duplicate_keys() =>
        Assert.Throws<ArgumentException>(() => new BDictionary(new KeyValuePair<BString, BValue>[] { new("a", new BInteger(1)), new("a", new BInteger(2)) }));

    [Theory]
    [InlineData(0L, "i0e")]
    [InlineData(-7L, "i-7e")]
    [InlineData(long.MaxValue, "i9223372036854775807e")]
    [InlineData(long.MinValue, "i-9223372036854775808e")]
    public void Writer_writes_integers_in_canonical_form(long value, string expected) =>
        Assert.Equal(expected, Text(new BInteger(value).Encode()));

    [Fact]
    public void Writer_writes_strings_with_their_byte_length()
    {
        Assert.Equal("0:", Text(new BString("").Encode()));
        Assert.Equal(new byte[] { (byte)'2', (byte)':', 0xC3, 0xA9 }, new BString("é").Encode());
        var buffer = new ArrayBufferWriter<byte>();
        new BencodeWriter(buffer).WriteString("héllo");
        Assert.Equal("6:h", Text(buffer.WrittenSpan[..3].ToArray()));
        Assert.Equal(8, buffer.WrittenCount);
    }

    [Fact]
    public void Streaming_writer_and_raw_copy_produce_exact_bytes()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteString("a");
        writer.WriteStartList();
        writer.WriteInteger(1);
        writer.WriteString("xy"u8);
        writer.WriteEnd();
        writer.WriteString("b");
        writer.WriteRaw("d1:ci2ee"u8);
        writer.WriteEnd();
        Assert.Equal("d1:ali1e2:xye1:bd1:ci2eee", Text(buffer.WrittenSpan.ToArray()));
    }

    [Theory]
    [InlineData("d8:announce3:url4:infod6:lengthi10e4:name1:a12:piece lengthi16384e6:pieces0:ee")]
    [InlineData("li-1e0:leldeed1:ai0eee")]
    [InlineData("5:hello")]
    public void Decoding_then_encoding_gives_back_the_same_bytes(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        Assert.Equal(bytes, BencodeReader.Decode(bytes).Encode());
    }

    [Fact]
    public void Unsorted_input_is_written_back_sorted()
    {
        var value = BencodeReader.Decode(Encoding.ASCII.GetBytes("d1:bi1e1:ai2ee"), BencodeReaderOptions.Lenient);
        Assert.Equal("d1:ai2e1:bi1ee", Text(value.Encode()));
    }
}
