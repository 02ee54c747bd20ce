using System.Security.Cryptography;
using System.Text;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;
using Xunit;
using static TorrentActors.Engine.Tests.Metainfo.TorrentBuilder;

namespace TorrentActors.Engine.Tests.Metainfo;

public sealed class TorrentParseTests
{
    [Fact]
    public void Parser_reads_a_single_file_torrent_with_every_optional_field()
    {
        var bytes = Wrap(
            SingleFileInfo("movie.mkv", 40_000, 16_384),
            ("announce", Str("http://tracker.example/announce")),
            ("announce-list", List(List(Str("http://a.example/announce"), Str("http://b.example/announce")), List(Str("udp://c.example:80")))),
            ("url-list", List(Str("http://seed.example/movie.mkv"))),
            ("comment", Str("a comment")),
            ("created by", Str("maker 1.0")),
            ("creation date", Int(1_700_000_000)));

        var torrent = Torrent.Parse(bytes);

        Assert.Equal("movie.mkv", torrent.Name);
        Assert.False(torrent.IsMultiFile);
        Assert.Equal(40_000, torrent.TotalLength);
        Assert.Equal(16_384, torrent.PieceLength);
        Assert.Equal(3, torrent.PieceCount);
        Assert.Equal(16_384, torrent.GetPieceSize(0));
        Assert.Equal(40_000 - (2 * 16_384), torrent.GetPieceSize(2));
        Assert.Equal(["movie.mkv"], torrent.Files.Single().PathComponents);
        Assert.Equal(2, torrent.AnnounceTiers.Count);
        Assert.Equal(["http://a.example/announce", "http://b.example/announce"], torrent.AnnounceTiers[0]);
        Assert.Equal("http://a.example/announce", torrent.Announce);
        Assert.Equal(["http://seed.example/movie.mkv"], torrent.UrlList);
        Assert.Equal("a comment", torrent.Comment);
        Assert.Equal("maker 1.0", torrent.CreatedBy);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), torrent.CreationDate);
        Assert.False(torrent.IsPrivate);
        Assert.Equal(bytes, torrent.EncodedBytes.ToArray());
    }

    [Fact]
    public void Parser_falls_back_to_announce_and_reads_a_single_url_list_string_and_private()
    {
        var info = Dict(
            ("length", Int(10)), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(1)), ("private", Int(1)));
        var torrent = Torrent.Parse(Wrap(info, ("announce", Str("http://t.example/a")), ("url-list", Str("http://w.example/"))));
        Assert.Equal([["http://t.example/a"]], torrent.AnnounceTiers);
        Assert.Equal(["http://w.example/"], torrent.UrlList);
        Assert.True(torrent.IsPrivate);
    }

    [Fact]
    public void Parser_reads_a_multi_file_torrent_with_the_name_as_first_path_component()
    {
        var info = MultiFileInfo("album", 16_384, FileEntry(20_000, "cd1", "01.flac"), FileEntry(0, "empty.txt"), FileEntry(30_000, "cover.jpg"));
        var torrent = Torrent.Parse(Wrap(info));

        Assert.True(torrent.IsMultiFile);
        Assert.Equal(50_000, torrent.TotalLength);
        Assert.Equal(4, torrent.PieceCount);
        Assert.Equal(["album", "cd1", "01.flac"], torrent.Files[0].PathComponents);
        Assert.Equal("album/cover.jpg", torrent.Files[2].RelativePath);
        Assert.Equal([0L, 20_000L, 20_000L], torrent.Files.Select(f => f.Offset));
        Assert.Empty(torrent.AnnounceTiers);
        Assert.Null(torrent.Announce);
    }

    [Fact]
    public void Infohash_is_taken_over_the_info_bytes_as_received_even_when_keys_are_unsorted()
    {
        // "name" before "length": not canonical, so re-encoding would change the hash.
        var info = "d4:name1:a6:lengthi10e12:piece lengthi16384e6:pieces20:" + new string('x', 20) + "e";
        var bytes = Encoding.ASCII.GetBytes("d4:info" + info + "e");
        var torrent = Torrent.Parse(bytes);
        Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(Encoding.ASCII.GetBytes(info))), torrent.InfoHash.ToHex());
        Assert.Equal(info, Encoding.ASCII.GetString(torrent.InfoBytes.Span));
    }

    [Fact]
    public void Create_wraps_an_encoded_info_dictionary_and_keeps_its_hash()
    {
        var info = SingleFileInfo().Encode();
        var torrent = Torrent.Create(
            info,
            [["http://a.example/announce"], ["http://b.example/announce"]],
            ["http://web.example/"],
            "hello",
            "tests",
            DateTimeOffset.FromUnixTimeSeconds(1_600_000_000));
        Assert.Equal(InfoHash.Compute(info), torrent.InfoHash);
        Assert.Equal(2, torrent.AnnounceTiers.Count);
        Assert.Equal("http://a.example/announce", torrent.Announce);
        Assert.Equal(["http://web.example/"], torrent.UrlList);
        Assert.Equal("hello", torrent.Comment);
        Assert.Equal("tests", torrent.CreatedBy);
        Assert.Equal(1_600_000_000, torrent.CreationDate!.Value.ToUnixTimeSeconds());
        Assert.Equal(torrent.InfoHash, Torrent.Parse(torrent.EncodedBytes).InfoHash);
    }

    public static TheoryData<string, byte[]> HostileTorrents()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "garbage", Encoding.ASCII.GetBytes("<html>not a torrent</html>") },
            { "root is a list", Encoding.ASCII.GetBytes("li1ee") },
            { "no info", Dict(("announce", Str("http://t/"))).Encode() },
            { "info is a string", Dict(("info", Str("x"))).Encode() },
            { "name is an integer", Wrap(Dict(("length", Int(1)), ("name", Int(5)), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "no name", Wrap(Dict(("length", Int(1)), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "pieces is an integer", Wrap(Dict(("length", Int(1)), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Int(3)))) },
            { "pieces not a multiple of 20", Wrap(Dict(("length", Int(1)), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Str("abc")))) },
            { "too few pieces", Wrap(Dict(("length", Int(40_000)), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(2)))) },
            { "zero piece length", Wrap(Dict(("length", Int(1)), ("name", Str("a")), ("piece length", Int(0)), ("pieces", Pieces(1)))) },
            { "negative piece length", Wrap(Dict(("length", Int(1)), ("name", Str("a")), ("piece length", Int(-16_384)), ("pieces", Pieces(1)))) },
            { "negative length", Wrap(Dict(("length", Int(-1)), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "zero length", Wrap(Dict(("length", Int(0)), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "huge length", Wrap(Dict(("length", Int(long.MaxValue)), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "files and length", Wrap(Dict(("files", List(FileEntry(1, "a"))), ("length", Int(1)), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "files not a list", Wrap(Dict(("files", Str("a")), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "files empty", Wrap(Dict(("files", List()), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "file entry not a dictionary", Wrap(Dict(("files", List(Int(1))), ("name", Str("a")), ("piece length", Int(16_384)), ("pieces", Pieces(1)))) },
            { "path component an integer", Wrap(MultiFileInfo("d", 16_384, Dict(("length", Int(1)), ("path", List(Int(1)))))) },
            { "path empty", Wrap(MultiFileInfo("d", 16_384, Dict(("length", Int(1)), ("path", List())))) },
            { "path not a list", Wrap(MultiFileInfo("d", 16_384, Dict(("length", Int(1)), ("path", Str("a"))))) },
            { "file length overflow", Wrap(MultiFileInfo("d", 16_384, FileEntry(long.MaxValue, "a"), FileEntry(long.MaxValue, "b"))) },
            { "dot dot component", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "..", "etc", "passwd"))) },
            { "dot component", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, ".", "a"))) },
            { "absolute component", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "/etc/passwd"))) },
            { "separator in component", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "a/../../b"))) },
            { "backslash in component", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "..\\..\\b"))) },
            { "empty component", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "a", "", "b"))) },
            { "nul in component", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "a\0b"))) },
            { "dot dot name", Wrap(SingleFileInfo("..")) },
            { "absolute name", Wrap(SingleFileInfo("/etc/passwd")) },
            { "empty name", Wrap(SingleFileInfo("")) },
            { "duplicate file", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "a"), FileEntry(1, "a"))) },
            { "file and folder", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "a"), FileEntry(1, "a", "b"))) },
            { "folder then file", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "x", "y", "z"), FileEntry(1, "x", "y"))) },
            { "file and folder apart", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "a"), FileEntry(1, "a-x"), FileEntry(1, "a.b"), FileEntry(1, "a", "b"))) },
            { "too many components", Wrap(MultiFileInfo("d", 16_384, FileEntry(1, Enumerable.Repeat("a", TorrentPaths.MaxComponents + 1).ToArray()))) },
            { "deep nesting", Encoding.ASCII.GetBytes("d4:info" + new string('l', 100_000) + new string('e', 100_000) + "e") },
            { "too many values", Encoding.ASCII.GetBytes("d4:infol" + string.Concat(Enumerable.Repeat("i0e", Torrent.MaxValues)) + "ee") },
            { "string length 2^40", Encoding.ASCII.GetBytes($"d4:info{1L << 40}:xe") },
            { "truncated", Wrap(SingleFileInfo())[..^5] },
            { "trailing data", [.. Wrap(SingleFileInfo()), (byte)'x'] },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileTorrents))]
    public void Parser_rejects_hostile_torrents_with_a_clear_error(string why, byte[] bytes)
    {
        var error = Assert.ThrowsAny<FormatException>(() => Torrent.Parse(bytes));
        Assert.True(error is BencodeException or MetainfoException, $"{why}: {error.GetType().Name}: {error.Message}");
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.False(Torrent.TryParse(bytes, out var torrent, out var message));
        Assert.Null(torrent);
        Assert.Equal(error.Message, message);
    }

    [Fact]
    public void Names_unsafe_only_on_windows_are_refused_there_and_are_ordinary_names_elsewhere()
    {
        byte[][] windowsOnly =
        [
            Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "C:", "x"))),
            Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "CON.txt"))),
            Wrap(SingleFileInfo("a:b.bin")),
        ];
        foreach (var bytes in windowsOnly)
        {
            Assert.Equal(!OperatingSystem.IsWindows(), Torrent.TryParse(bytes, out _, out _));
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal("a:b.bin", Torrent.Parse(windowsOnly[2]).Name);
            Assert.Equal(["d", "C:", "x"], Torrent.Parse(windowsOnly[0]).Files[0].PathComponents);
        }
    }

    [Fact]
    public void Similar_names_are_not_mistaken_for_a_file_that_is_also_a_folder()
    {
        var torrent = Torrent.Parse(Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "a"), FileEntry(1, "ab", "c"), FileEntry(1, "a-b"), FileEntry(1, "a.b", "c"))));
        Assert.Equal(4, torrent.Files.Count);
        var deep = Torrent.Parse(Wrap(MultiFileInfo("d", 16_384, FileEntry(1, Enumerable.Repeat("a", TorrentPaths.MaxComponents).ToArray()))));
        Assert.Equal(TorrentPaths.MaxComponents + 1, deep.Files[0].PathComponents.Count);
    }

    [Fact]
    public void Path_errors_name_the_offending_file()
    {
        var error = Assert.Throws<MetainfoException>(() => Torrent.Parse(Wrap(MultiFileInfo("d", 16_384, FileEntry(1, "ok", "..", "x")))));
        Assert.Contains("'..'", error.Message);
        Assert.Contains("ok/..", error.Message);
    }

    [Fact]
    public void Every_truncation_of_a_valid_torrent_is_rejected_cleanly()
    {
        var bytes = Wrap(MultiFileInfo("d", 16_384, FileEntry(20_000, "a"), FileEntry(5, "b", "c")), ("announce", Str("http://t.example/a")));
        Torrent.Parse(bytes);
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = Assert.ThrowsAny<FormatException>(() => Torrent.Parse(bytes.AsMemory(0, length)));
            Assert.True(error is BencodeException or MetainfoException, error.GetType().Name);
        }
    }

    [Fact]
    public void Load_refuses_an_oversized_file_before_reading_it()
    {
        var path = Path.GetTempFileName();
        try
        {
            using (var stream = File.OpenWrite(path))
            {
                stream.SetLength(Torrent.MaxFileSize + 1L);
            }

            Assert.Contains("at most", Assert.Throws<MetainfoException>(() => Torrent.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Tracker_urls_that_are_not_absolute_are_ignored()
    {
        var torrent = Torrent.Parse(Wrap(SingleFileInfo(), ("announce", Str("not a url")), ("announce-list", List(List(Str(""), Int(4)), Str("x")))));
        Assert.Empty(torrent.AnnounceTiers);
    }

    [Fact]
    public void Bencode_strictness_reaches_the_torrent_parser()
    {
        var bytes = Encoding.ASCII.GetBytes("d4:infod6:lengthi010e4:name1:a12:piece lengthi16384e6:pieces20:" + new string('x', 20) + "ee");
        Assert.Contains("leading zero", Assert.Throws<BencodeException>(() => Torrent.Parse(bytes)).Reason);
    }
}
