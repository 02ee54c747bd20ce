using System.Buffers;
using System.Security.Cryptography;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>A temp folder with random files and a v1 torrent over them, deleted on dispose.</summary>
public sealed class TestData : IDisposable
{
    private readonly TempFolder _folder;

    private TestData(TempFolder folder)
    {
        _folder = folder;
        Root = folder.Path;
    }

    public string Root { get; }

    public string Seed => Path.Combine(Root, "seed");

    public string Folder(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Writes random files under seed/NAME (single file when one entry with an empty relative path) and builds the torrent.</summary>
    public static (TestData Data, Torrent Torrent) Create(string name, IReadOnlyList<(string RelativePath, int Length)> files, int pieceLength, int seed = 1)
    {
        var data = new TestData(new TempFolder("ta-engine-"));
        var random = new Random(seed);
        var single = files.Count == 1 && files[0].RelativePath.Length == 0;
        var all = new List<byte>();
        var entries = new List<(string[] Path, long Length)>();
        foreach (var (relative, length) in files)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            var path = single ? Path.Combine(data.Seed, name) : Path.Combine(data.Seed, name, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            all.AddRange(bytes);
            entries.Add((relative.Split('/'), length));
        }

        var content = all.ToArray();
        var hashes = new byte[((content.Length + pieceLength - 1) / pieceLength) * 20];
        for (var i = 0; i * pieceLength < content.Length; i++)
        {
            SHA1.HashData(content.AsSpan(i * pieceLength, Math.Min(pieceLength, content.Length - (i * pieceLength))), hashes.AsSpan(i * 20));
        }

        var buffer = new ArrayBufferWriter<byte>();
        var writer = new BencodeWriter(buffer);
        writer.WriteStartDictionary();
        if (single)
        {
            writer.WriteString("length");
            writer.WriteInteger(content.Length);
        }
        else
        {
            writer.WriteString("files");
            writer.WriteStartList();
            foreach (var (path, length) in entries)
            {
                writer.WriteStartDictionary();
                writer.WriteString("length");
                writer.WriteInteger(length);
                writer.WriteString("path");
                writer.WriteStartList();
                foreach (var part in path)
                {
                    writer.WriteString(part);
                }

                writer.WriteEnd();
                writer.WriteEnd();
            }

            writer.WriteEnd();
        }

        writer.WriteString("name");
        writer.WriteString(name);
        writer.WriteString("piece length");
        writer.WriteInteger(pieceLength);
        writer.WriteString("pieces");
        writer.WriteString(hashes);
        writer.WriteEnd();
        var torrent = Torrent.Create(buffer.WrittenSpan, []);
        return (data, torrent);
    }

    public void Dispose() => _folder.Dispose();
}
