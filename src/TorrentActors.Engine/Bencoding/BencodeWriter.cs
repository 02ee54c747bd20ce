using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace TorrentActors.Engine.Bencoding;

/// <summary>
/// Writes bencode into an <see cref="IBufferWriter{T}"/>. Dictionaries written from a
/// <see cref="BDictionary"/> come out with their keys sorted; the streaming methods leave key order to the caller.
/// </summary>
public sealed class BencodeWriter(IBufferWriter<byte> output)
{
    public static byte[] Encode(BValue value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        new BencodeWriter(buffer).Write(value);
        return buffer.WrittenSpan.ToArray();
    }

    public void Write(BValue value)
    {
        switch (value)
        {
            case BString s:
                WriteString(s.Span);
                break;
            case BInteger i:
                WriteInteger(i.Value);
                break;
            case BList l:
                WriteStartList();
                foreach (var item in l.Items)
                {
                    Write(item);
                }

                WriteEnd();
                break;
            case BDictionary d:
                WriteStartDictionary();
                foreach (var (key, item) in d.Entries)
                {
                    WriteString(key.Span);
                    Write(item);
                }

                WriteEnd();
                break;
            default:
                throw new ArgumentException($"Unknown bencode value {value.GetType().Name}.", nameof(value));
        }
    }

    public void WriteInteger(long value)
    {
        var span = output.GetSpan(22);
        span[0] = (byte)'i';
        Utf8Formatter.TryFormat(value, span[1..], out var written);
        span[written + 1] = (byte)'e';
        output.Advance(written + 2);
    }

    public void WriteString(ReadOnlySpan<byte> bytes)
    {
        var span = output.GetSpan(bytes.Length + 11);
        Utf8Formatter.TryFormat(bytes.Length, span, out var written);
        span[written++] = (byte)':';
        bytes.CopyTo(span[written..]);
        output.Advance(written + bytes.Length);
    }

    public void WriteString(string text)
    {
        var count = Encoding.UTF8.GetByteCount(text);
        var span = output.GetSpan(count + 11);
        Utf8Formatter.TryFormat(count, span, out var written);
        span[written++] = (byte)':';
        Encoding.UTF8.GetBytes(text, span[written..]);
        output.Advance(written + count);
    }

    public void WriteStartList() => WriteByte((byte)'l');

    public void WriteStartDictionary() => WriteByte((byte)'d');

    public void WriteEnd() => WriteByte((byte)'e');

    /// <summary>Copies already-encoded bencode (for example a raw info dictionary) unchanged.</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded)
    {
        var span = output.GetSpan(encoded.Length);
        encoded.CopyTo(span);
        output.Advance(encoded.Length);
    }

    private void WriteByte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }
}
