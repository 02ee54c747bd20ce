using System.Buffers;
using System.Collections.Immutable;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.PeerWire;

namespace TorrentActors.Engine.Storage;

/// <summary>
/// The size and last write time of one of a torrent's files; <see cref="Missing"/> when it does not exist or is not a
/// regular file (a device or FIFO in its place holds nothing that can be trusted).
/// </summary>
public readonly record struct FileStamp(long Length, long LastWriteTicksUtc)
{
    public static readonly FileStamp Missing = new(-1, 0);

    public bool Exists => Length >= 0;

    public static FileStamp Of(string path)
    {
        if (FileKind.TypeOf(path, followLinks: true) is not (FileType.Regular or FileType.Unknown))
        {
            return Missing;
        }

        var info = new FileInfo(path);
        return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc.Ticks) : Missing;
    }
}

/// <summary>
/// What a session needs to start again without hashing its data: the pieces verified so far, and each file's
/// <see cref="FileStamp"/> taken after them. At the next start a file whose stamp still matches is trusted for the
/// recorded pieces; the pieces of a file that changed, shrank or vanished are hashed again; a piece not recorded is
/// never trusted. Encoded as a small bencoded dictionary (<c>v</c>, <c>pieces</c>, <c>files</c>).
/// </summary>
public sealed record ResumeData(BitField Verified, ImmutableArray<FileStamp> Files)
{
    private const int Version = 1;

    public byte[] Encode()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        writer.WriteString("files");
        writer.WriteStartList();
        foreach (var file in Files)
        {
            writer.WriteStartList();
            writer.WriteInteger(file.Length);
            writer.WriteInteger(file.LastWriteTicksUtc);
            writer.WriteEnd();
        }

        writer.WriteEnd();
        writer.WriteString("pieces");
        writer.WriteInteger(Verified.Length);
        writer.WriteString("v");
        writer.WriteInteger(Version);
        writer.WriteString("verified");
        writer.WriteString(Verified.Bytes);
        writer.WriteEnd();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Reads resume data written by <see cref="Encode"/> for a torrent of <paramref name="pieceCount"/> pieces and
    /// <paramref name="fileCount"/> files; null (never an exception) for anything else: bad bencode, another version,
    /// another torrent's shape.
    /// </summary>
    public static ResumeData? TryDecode(ReadOnlyMemory<byte> bytes, int pieceCount, int fileCount)
    {
        try
        {
            var root = BencodeReader.DecodeDictionary(bytes);
            if (root.GetInteger("v") != Version || root.GetInteger("pieces") != pieceCount
                || root.Get<BString>("verified") is not { } verified || root.Get<BList>("files") is not { } files || files.Count != fileCount)
            {
                return null;
            }

            var stamps = ImmutableArray.CreateBuilder<FileStamp>(fileCount);
            foreach (var item in files.Items)
            {
                if (item is not BList { Count: 2 } pair || pair[0] is not BInteger length || pair[1] is not BInteger ticks)
                {
                    return null;
                }

                stamps.Add(new FileStamp(length.Value, ticks.Value));
            }

            return new ResumeData(BitField.FromWire(new ReadOnlySequence<byte>(verified.Bytes), pieceCount), stamps.MoveToImmutable());
        }
        catch (Exception e) when (e is BencodeException or PeerProtocolException)
        {
            return null;
        }
    }
}
