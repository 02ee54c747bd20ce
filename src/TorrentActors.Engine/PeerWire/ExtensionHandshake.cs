using System.Buffers;
using System.Text;
using TorrentActors.Engine.Bencoding;

namespace TorrentActors.Engine.PeerWire;

/// <summary>
/// The BEP 10 extension handshake (extended message id 0): a bencoded dictionary with
/// <c>m</c> (extension name → id), <c>v</c> (client), <c>reqq</c> (request queue depth), <c>p</c> (listen port).
/// </summary>
public sealed record ExtensionHandshake(IReadOnlyDictionary<string, int> Extensions, string? Client, int? RequestQueue, int? ListenPort)
{
    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteString("m");
        writer.WriteStartDictionary();
        foreach (var pair in Extensions.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.WriteString(pair.Key);
            writer.WriteInteger(pair.Value);
        }

        writer.WriteEnd();
        if (ListenPort is { } port)
        {
            writer.WriteString("p");
            writer.WriteInteger(port);
        }

        if (RequestQueue is { } reqq)
        {
            writer.WriteString("reqq");
            writer.WriteInteger(reqq);
        }

        if (Client is not null)
        {
            writer.WriteString("v");
            writer.WriteString(Client);
        }

        writer.WriteEnd();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Parses the payload after the extended id; bad bencode or a non-dictionary throws <see cref="PeerProtocolException"/>.</summary>
    public static ExtensionHandshake Parse(ReadOnlySequence<byte> payload)
    {
        BDictionary root;
        try
        {
            root = BencodeReader.Decode(payload.ToArray(), BencodeReaderOptions.Lenient with { AllowTrailingData = true }) as BDictionary
                ?? throw new PeerProtocolException("extension handshake is not a dictionary");
        }
        catch (BencodeException e)
        {
            throw new PeerProtocolException($"extension handshake is not valid bencode: {e.Message}");
        }

        var extensions = new Dictionary<string, int>(StringComparer.Ordinal);
        if (root.TryGet<BDictionary>("m", out var m))
        {
            foreach (var (key, value) in m.Entries)
            {
                if (value is BInteger { Value: >= 0 and <= 255 } id)
                {
                    extensions[Encoding.UTF8.GetString(key.Span)] = (int)id.Value;
                }
            }
        }

        var reqq = root.GetInteger("reqq");
        var p = root.GetInteger("p");
        return new ExtensionHandshake(
            extensions,
            root.Get<BString>("v")?.Text,
            reqq is > 0 and <= 100_000 ? (int)reqq : null,
            p is > 0 and <= 65535 ? (int)p : null);
    }
}
