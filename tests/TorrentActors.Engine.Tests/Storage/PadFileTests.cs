using System.Buffers;
using System.Security.Cryptography;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Storage;
using Xunit;

namespace TorrentActors.Engine.Tests.Storage;

/// <summary>
/// BEP 47 pad files, as libtorrent writes them into hybrid torrents: files with <c>attr</c> holding <c>p</c>, usually
/// <c>.pad/LENGTH</c> (two pads of one length share the path). They never touch the disk.
/// </summary>
public sealed class PadFileTests : IDisposable
{
    private const int PieceLength = 16 * 1024;

    private readonly TempFolder _temp = new("ta-pad-");
    private readonly byte[] _a = Bytes(10_000, 1);
    private readonly byte[] _b = Bytes(10_000, 2);
    private readonly byte[] _c = Bytes(3_000, 3);

    public void Dispose() => _temp.Dispose();

    /// <summary>album/a (10,000 bytes), a pad of 6,384, album/b (10,000), a pad of 6,384, album/c (3,000); 16 KiB pieces.</summary>
    private Torrent Album(string secondPadPath = ".pad/6384", string secondPadAttr = "p")
    {
        var content = _a.Concat(new byte[6_384]).Concat(_b).Concat(new byte[6_384]).Concat(_c).ToArray();
        var pieces = content.Chunk(PieceLength).SelectMany(SHA1.HashData).ToArray();
        var buffer = new ArrayBufferWriter<byte>();
        var w = new BencodeWriter(buffer);
        w.WriteStartDictionary();
        w.WriteString("files");
        w.WriteStartList();
        File(w, "a", _a.Length, attr: null);
        File(w, ".pad/6384", 6_384, attr: "p");
        File(w, "b", _b.Length, attr: "x");
        File(w, secondPadPath, 6_384, attr: secondPadAttr);
        File(w, "c", _c.Length, attr: null);
        w.WriteEnd();
        w.WriteString("name");
        w.WriteString("album");
        w.WriteString("piece length");
        w.WriteInteger(PieceLength);
        w.WriteString("pieces");
        w.WriteString(pieces);
        w.WriteEnd();
        return Torrent.Create(buffer.WrittenSpan, []);
    }

    private static void File(BencodeWriter w, string path, long length, string? attr)
    {
        w.WriteStartDictionary();
        if (attr is not null)
        {
            w.WriteString("attr");
            w.WriteString(attr);
        }

        w.WriteString("length");
        w.WriteInteger(length);
        w.WriteString("path");
        w.WriteStartList();
        foreach (var part in path.Split('/'))
        {
            w.WriteString(part);
        }

        w.WriteEnd();
        w.WriteEnd();
    }

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private string SeedFolder()
    {
        var root = _temp.Combine("seed");
        Directory.CreateDirectory(Path.Combine(root, "album"));
        System.IO.File.WriteAllBytes(Path.Combine(root, "album", "a"), _a);
        System.IO.File.WriteAllBytes(Path.Combine(root, "album", "b"), _b);
        System.IO.File.WriteAllBytes(Path.Combine(root, "album", "c"), _c);
        return root;
    }

    [Fact]
    public void Files_whose_attr_holds_p_are_pads_wherever_they_point_and_pads_may_share_a_path()
    {
        var torrent = Album();
        Assert.Equal([false, true, false, true, false], torrent.Files.Select(f => f.IsPad));
        Assert.Equal([0L, 10_000, 16_384, 26_384, 32_768], torrent.Files.Select(f => f.Offset));
        Assert.Equal(3, torrent.PieceCount);

        var elsewhere = Album(secondPadPath: "b.padding", secondPadAttr: "hp");
        Assert.True(elsewhere.Files[3].IsPad);
        Assert.Equal("album/b.padding", elsewhere.Files[3].RelativePath);
    }

    [Fact]
    public void Writing_the_whole_torrent_writes_its_files_and_never_a_pad()
    {
        var torrent = Album();
        var target = _temp.Combine("download");
        using (var storage = new TorrentStorage(torrent, target))
        {
            var noise = Enumerable.Repeat((byte)0xAB, 6_384).ToArray();
            storage.Write(0, _a);
            storage.Write(10_000, noise);
            storage.Write(16_384, _b.Concat(new byte[6_384]).Concat(_c).ToArray());
            storage.CreateEmptyFiles();
        }

        Assert.Equal(_a, System.IO.File.ReadAllBytes(Path.Combine(target, "album", "a")));
        Assert.Equal(_b, System.IO.File.ReadAllBytes(Path.Combine(target, "album", "b")));
        Assert.Equal(_c, System.IO.File.ReadAllBytes(Path.Combine(target, "album", "c")));
        Assert.False(Directory.Exists(Path.Combine(target, "album", ".pad")));
        Assert.Equal(["a", "b", "c"], Directory.GetFileSystemEntries(Path.Combine(target, "album")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void A_pad_reads_as_zeros_and_every_piece_checks_good_from_the_real_files_alone()
    {
        var torrent = Album();
        using var storage = new TorrentStorage(torrent, SeedFolder());

        var first = new byte[PieceLength];
        storage.Read(0, first);
        Assert.Equal(_a, first[..10_000]);
        Assert.All(first[10_000..], b => Assert.Equal(0, b));
        Assert.True(storage.PieceDataPresent(0));
        Assert.True(storage.Verify(2, CancellationToken.None).AllSet);
        Assert.True(storage.VerifyPiece(1));
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "seed", "album", ".pad")));
    }

    [Fact]
    public void Resume_data_trusts_pieces_that_cross_pads_without_reading_them_again()
    {
        var torrent = Album();
        var folder = SeedFolder();
        ResumeData resume;
        using (var storage = new TorrentStorage(torrent, folder))
        {
            var verified = storage.Check(null, 1, CancellationToken.None, out var hashedFirst);
            Assert.Equal(3, hashedFirst);
            resume = new ResumeData(verified, storage.StampFiles());
        }

        using var again = new TorrentStorage(torrent, folder);
        var trusted = again.Check(ResumeData.TryDecode(resume.Encode(), torrent.PieceCount, torrent.Files.Count), 1, CancellationToken.None, out var hashed);

        Assert.True(trusted.AllSet);
        Assert.Equal(0, hashed);
        Assert.Equal(new FileStamp(6_384, 0), again.StampFiles()[1]);
    }

    [Fact]
    public void A_piece_whose_pad_range_a_peer_filled_with_anything_but_zeros_fails_its_hash()
    {
        var torrent = Album();
        using var storage = new TorrentStorage(torrent, SeedFolder());
        var piece = new byte[PieceLength];
        storage.Read(0, piece);
        Assert.True(storage.HashMatches(0, piece));

        piece[12_000] = 1;

        Assert.False(storage.HashMatches(0, piece));
    }
}
