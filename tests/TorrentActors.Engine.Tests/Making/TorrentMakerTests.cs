using System.Security.Cryptography;
using System.Text;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Engine.Tests.Making;

public sealed class TorrentMakerTests : IDisposable
{
    private readonly TempFolder _temp = new("torrentactors-maker-");

    public void Dispose() => _temp.Dispose();

    private string WriteFile(string relative, int length, int seed = 1)
    {
        var path = Path.Combine(_temp.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>The piece hashes of <paramref name="data"/>, one SHA1.HashData per piece: what every maker path must give.</summary>
    internal static byte[] ExpectedPieces(byte[] data, int pieceLength)
    {
        var pieces = new List<byte>();
        for (var offset = 0; offset < data.Length; offset += pieceLength)
        {
            pieces.AddRange(SHA1.HashData(data.AsSpan(offset, Math.Min(pieceLength, data.Length - offset))));
        }

        return [.. pieces];
    }

    [Theory]
    [InlineData(1L, 16 * 1024L)]
    [InlineData(2000L * 16 * 1024, 16 * 1024L)]
    [InlineData((2000L * 16 * 1024) + 1, 32 * 1024L)]
    [InlineData(1L << 30, 1L << 20)]
    [InlineData(1L << 45, 16L << 20)]
    public void Automatic_piece_length_is_a_power_of_two_keeping_pieces_at_or_under_2000(long total, long expected)
    {
        var length = TorrentMaker.ChoosePieceLength(total);
        Assert.Equal(expected, length);
        Assert.True(TorrentMaker.IsValidPieceLength(length));
    }

    [Theory]
    [InlineData(100_000_000L)]
    [InlineData(5_000_000_000L)]
    public void Automatic_piece_length_gives_between_1000_and_2000_pieces_for_mid_sizes(long total)
    {
        var pieces = (total + TorrentMaker.ChoosePieceLength(total) - 1) / TorrentMaker.ChoosePieceLength(total);
        Assert.InRange(pieces, 1000, 2000);
    }

    [Theory]
    [InlineData(16 * 1024L, true)]
    [InlineData(16L << 20, true)]
    [InlineData(8 * 1024L, false)]
    [InlineData(32L << 20, false)]
    [InlineData(100_000L, false)]
    [InlineData(0L, false)]
    [InlineData(-16384L, false)]
    public void Piece_length_must_be_a_power_of_two_from_16_KiB_to_16_MiB(long length, bool valid) =>
        Assert.Equal(valid, TorrentMaker.IsValidPieceLength(length));

    [Fact]
    public async Task Single_file_torrent_has_mktorrents_info_dictionary_and_correct_hashes()
    {
        var path = WriteFile("data.bin", 100_000);
        var torrent = await TorrentMaker.CreateAsync(path, new TorrentMakerOptions { PieceLength = 16 * 1024 });

        var pieces = ExpectedPieces(File.ReadAllBytes(path), 16 * 1024);
        var expectedInfo = Encoding.ASCII.GetBytes("d6:lengthi100000e4:name8:data.bin12:piece lengthi16384e6:pieces140:")
            .Concat(pieces).Append((byte)'e').ToArray();
        Assert.Equal(expectedInfo, torrent.InfoBytes.ToArray());
        Assert.Equal(InfoHash.Compute(expectedInfo), torrent.InfoHash);
        Assert.False(torrent.IsMultiFile);
        Assert.Equal(7, torrent.PieceCount);
        Assert.Equal(100_000, torrent.TotalLength);
    }

    [Fact]
    public async Task Directory_torrent_orders_files_by_relative_path_bytes_and_hashes_across_file_boundaries()
    {
        WriteFile("a.txt", 10_000, 1);
        WriteFile("a/b", 20_000, 2);
        WriteFile("a-b", 5, 3);
        WriteFile("B", 40_000, 4);
        WriteFile("sub/deeper/x", 1, 5);
        WriteFile("empty", 0, 6);
        var torrent = await TorrentMaker.CreateAsync(_temp.Path, new TorrentMakerOptions { PieceLength = 16 * 1024, Name = "tree" });

        string[] order = ["B", "a-b", "a.txt", "a/b", "empty", "sub/deeper/x"];
        Assert.Equal(order.Select(o => "tree/" + o), torrent.Files.Select(f => f.RelativePath));
        Assert.Equal(0, torrent.Files.Single(f => f.RelativePath == "tree/empty").Length);
        var data = order.SelectMany(o => File.ReadAllBytes(Path.Combine(_temp.Path, o))).ToArray();
        Assert.Equal(data.Length, torrent.TotalLength);
        Assert.Equal(ExpectedPieces(data, 16 * 1024), torrent.PieceHashes.ToArray());
        Assert.True(torrent.IsMultiFile);
        Assert.StartsWith("d5:filesld6:lengthi40000e4:pathl1:Beed6:lengthi5e4:pathl3:a-bee", Encoding.ASCII.GetString(torrent.InfoBytes.Span));
        Assert.Contains("d6:lengthi0e4:pathl5:emptyee", Encoding.ASCII.GetString(torrent.InfoBytes.Span));
    }

    [Fact]
    public async Task Many_small_files_inside_one_piece_hash_like_their_concatenation()
    {
        var data = new List<byte>();
        for (var i = 0; i < 50; i++)
        {
            data.AddRange(File.ReadAllBytes(WriteFile($"f{i:D3}", 1 + (i * 37), i)));
        }

        var torrent = await TorrentMaker.CreateAsync(_temp.Path, new TorrentMakerOptions { PieceLength = 16 * 1024 });
        Assert.Equal(ExpectedPieces([.. data], 16 * 1024), torrent.PieceHashes.ToArray());
        Assert.Equal(Path.GetFileName(_temp.Path), torrent.Name);
    }

    [Fact]
    public async Task Hidden_files_and_folders_are_skipped_unless_asked_for()
    {
        WriteFile("visible", 100);
        WriteFile(".hidden", 100);
        WriteFile(".git/config", 100);
        var skipped = await TorrentMaker.CreateAsync(_temp.Path, new TorrentMakerOptions());
        Assert.Equal(["visible"], skipped.Files.Select(f => f.PathComponents[^1]));

        var included = await TorrentMaker.CreateAsync(_temp.Path, new TorrentMakerOptions { IncludeHidden = true });
        Assert.Equal([".git/config", ".hidden", "visible"], included.Files.Select(f => string.Join('/', f.PathComponents.Skip(1))));
    }

    [Fact]
    public async Task Symbolic_links_inside_a_directory_are_not_followed()
    {
        var outsideFolder = new TempFolder("torrentactors-outside-");
        var outside = outsideFolder.Path;
        try
        {
            File.WriteAllBytes(Path.Combine(outside, "secret"), new byte[1000]);
            WriteFile("real", 100);
            File.CreateSymbolicLink(Path.Combine(_temp.Path, "link-to-file"), Path.Combine(outside, "secret"));
            Directory.CreateSymbolicLink(Path.Combine(_temp.Path, "link-to-folder"), outside);
            Directory.CreateSymbolicLink(Path.Combine(_temp.Path, "loop"), _temp.Path);

            var torrent = await TorrentMaker.CreateAsync(_temp.Path, new TorrentMakerOptions());
            Assert.Equal(["real"], torrent.Files.Select(f => f.PathComponents[^1]));
            Assert.Equal(100, torrent.TotalLength);
        }
        finally
        {
            outsideFolder.Dispose();
        }
    }

    [SkippableFact]
    public async Task Fifos_and_sockets_inside_a_directory_are_skipped_and_never_opened()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "FIFOs and socket files are made here with Linux calls");
        WriteFile("data", 100);
        Assert.Equal(0, MakeFifo(Path.Combine(_temp.Path, "pipe"), 0b110_100_100));
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(Path.Combine(_temp.Path, "sock")));

        // A FIFO with no writer would block an open for reading forever; the timeout turns that into a failure.
        var torrent = await TorrentMaker.CreateAsync(_temp.Path, new TorrentMakerOptions()).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["data"], torrent.Files.Select(f => f.PathComponents[^1]));
        Assert.Equal(100, torrent.TotalLength);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);

    [Fact]
    public async Task Private_metadata_trackers_and_web_seeds_reach_the_torrent()
    {
        var path = WriteFile("x", 1000);
        var torrent = await TorrentMaker.CreateAsync(path, new TorrentMakerOptions
        {
            Private = true,
            AnnounceTiers = [["http://a.example/announce"], ["http://b.example/announce"]],
            UrlList = ["http://web.example/x"],
            Comment = "made in a test",
            CreationDate = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
        });
        Assert.True(torrent.IsPrivate);
        Assert.EndsWith("7:privatei1ee", Encoding.ASCII.GetString(torrent.InfoBytes.Span));
        Assert.Equal("http://a.example/announce", torrent.Announce);
        Assert.Equal(2, torrent.AnnounceTiers.Count);
        Assert.Equal(["http://web.example/x"], torrent.UrlList);
        Assert.Equal("made in a test", torrent.Comment);
        Assert.Equal("TorrentActors", torrent.CreatedBy);
        Assert.Equal(1_700_000_000, torrent.CreationDate!.Value.ToUnixTimeSeconds());
        Assert.Equal(torrent.InfoHash, Torrent.Parse(torrent.EncodedBytes).InfoHash);
    }

    [Fact]
    public async Task One_worker_and_many_workers_give_the_same_torrent()
    {
        WriteFile("big", (9 * 1024 * 1024) + 12_345, 7);
        WriteFile("second", (8 * 1024 * 1024) + 1, 8);
        WriteFile("third", 3, 9);
        var one = await TorrentMaker.CreateAsync(_temp.Path, new TorrentMakerOptions { PieceLength = 32 * 1024, Workers = 1 });
        var many = await TorrentMaker.CreateAsync(_temp.Path, new TorrentMakerOptions { PieceLength = 32 * 1024, Workers = 5 });
        Assert.Equal(one.InfoHash, many.InfoHash);
        var data = new[] { "big", "second", "third" }.SelectMany(n => File.ReadAllBytes(Path.Combine(_temp.Path, n))).ToArray();
        Assert.Equal(ExpectedPieces(data, 32 * 1024), many.PieceHashes.ToArray());
    }

    [Fact]
    public async Task Progress_counts_up_to_the_total()
    {
        var path = WriteFile("p", (17 * 1024 * 1024) + 5);
        var progress = new Recorder();
        await TorrentMaker.CreateAsync(path, new TorrentMakerOptions { PieceLength = 1024 * 1024 }, progress);
        Assert.True(progress.Reports.Count > 1, "one report per batch");
        Assert.Equal(new FileInfo(path).Length, progress.Reports.Max(r => r.BytesHashed));
        Assert.Equal(progress.Reports.Count, progress.Reports.Select(r => r.BytesHashed).Distinct().Count());
        Assert.All(progress.Reports, r => Assert.Equal(new FileInfo(path).Length, r.TotalBytes));
    }

    [Fact]
    public async Task A_cancelled_make_throws_operation_cancelled()
    {
        var path = WriteFile("c", 100_000);
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => TorrentMaker.CreateAsync(path, new TorrentMakerOptions(), null, cancel.Token));
    }

    [Fact]
    public async Task Nothing_to_hash_is_a_clear_error()
    {
        var emptyFile = WriteFile("empty-file", 0);
        Assert.Contains("empty", (await Assert.ThrowsAsync<TorrentMakerException>(() => TorrentMaker.CreateAsync(emptyFile, new TorrentMakerOptions()))).Message);

        var folder = Path.Combine(_temp.Path, "folder");
        Directory.CreateDirectory(folder);
        await Assert.ThrowsAsync<TorrentMakerException>(() => TorrentMaker.CreateAsync(folder, new TorrentMakerOptions()));
        File.WriteAllBytes(Path.Combine(folder, "zero"), []);
        File.WriteAllBytes(Path.Combine(folder, ".hidden"), [1, 2, 3]);
        Assert.Contains("no data", (await Assert.ThrowsAsync<TorrentMakerException>(() => TorrentMaker.CreateAsync(folder, new TorrentMakerOptions()))).Message);
    }

    [Theory]
    [InlineData(1000L)]
    [InlineData(8 * 1024L)]
    [InlineData(32L << 20)]
    public async Task A_bad_piece_length_is_refused(long pieceLength)
    {
        var path = WriteFile("x", 10);
        var error = await Assert.ThrowsAsync<TorrentMakerException>(() => TorrentMaker.CreateAsync(path, new TorrentMakerOptions { PieceLength = pieceLength }));
        Assert.Contains("power of two", error.Message);
    }

    [Fact]
    public async Task A_missing_path_is_file_not_found() =>
        await Assert.ThrowsAsync<FileNotFoundException>(() => TorrentMaker.CreateAsync(Path.Combine(_temp.Path, "nope"), new TorrentMakerOptions()));

    [Fact]
    public async Task An_unsafe_name_is_refused() =>
        await Assert.ThrowsAsync<MetainfoException>(() => TorrentMaker.CreateAsync(WriteFile("x", 10), new TorrentMakerOptions { Name = "../escape" }));

    [Fact]
    public async Task A_file_that_shrinks_while_hashing_is_a_clear_error()
    {
        var path = WriteFile("shrinks", 5000);
        SourceFile[] files = [new SourceFile(path, ["shrinks"], 3L * 1024 * 1024, 0)];
        var error = await Assert.ThrowsAsync<TorrentMakerException>(() => PieceHasher.HashAsync(files, 3L * 1024 * 1024, 16 * 1024, 2, null, CancellationToken.None));
        Assert.Contains("got shorter", error.Message);
    }

    private sealed class Recorder : IProgress<MakeProgress>
    {
        private readonly List<MakeProgress> _reports = [];

        public IReadOnlyList<MakeProgress> Reports
        {
            get
            {
                lock (_reports)
                {
                    return [.. _reports];
                }
            }
        }

        public void Report(MakeProgress value)
        {
            lock (_reports)
            {
                _reports.Add(value);
            }
        }
    }
}
