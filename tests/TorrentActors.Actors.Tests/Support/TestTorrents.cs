using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Tests.Support;

/// <summary>Builds small single-file torrents for the tests (metainfo only; the fake engine never reads data).</summary>
public static class TestTorrents
{
    public static Torrent Make(string name, long length = 40_000, string salt = "a", string? announce = null)
    {
        const long pieceLength = 16 * 1024;
        var pieceCount = (int)((length + pieceLength - 1) / pieceLength);
        var pieces = new byte[pieceCount * 20];
        for (var i = 0; i < pieceCount; i++)
        {
            SHA1.HashData(Encoding.UTF8.GetBytes($"{salt}/{name}/{i}")).CopyTo(pieces, i * 20);
        }

        var info = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(info);
        writer.WriteStartDictionary();
        writer.WriteString("length");
        writer.WriteInteger(length);
        writer.WriteString("name");
        writer.WriteString(name);
        writer.WriteString("piece length");
        writer.WriteInteger(pieceLength);
        writer.WriteString("pieces");
        writer.WriteString(pieces);
        writer.WriteEnd();
        IReadOnlyList<IReadOnlyList<string>> tiers = announce is null ? [] : [[announce]];
        var created = Torrent.Create(info.WrittenSpan, tiers);
        return Torrent.Parse(created.EncodedBytes);
    }
}
