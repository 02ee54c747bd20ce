using TorrentActors.Engine.Hashing;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Storage;
using TorrentActors.Engine.Tests.Client;
using Xunit;

namespace TorrentActors.Engine.Tests.Storage;

public sealed class TorrentStorageTests
{
    [Fact]
    public void Reads_and_writes_span_file_boundaries_and_skip_empty_files()
    {
        var (data, torrent) = TestData.Create("multi", [("a", 10), ("empty", 0), ("b", 5), ("c/d", 20)], 16 * 1024);
        using var _ = data;
        using var storage = new TorrentStorage(torrent, data.Seed);
        var all = new byte[35];
        storage.Read(0, all);
        var expected = File.ReadAllBytes(Path.Combine(data.Seed, "multi", "a"))
            .Concat(File.ReadAllBytes(Path.Combine(data.Seed, "multi", "b")))
            .Concat(File.ReadAllBytes(Path.Combine(data.Seed, "multi", "c", "d"))).ToArray();
        Assert.Equal(expected, all);

        var segments = storage.Segments(8, 10).ToList();
        Assert.Equal([(0, 8L, 0, 2), (2, 0L, 2, 5), (3, 0L, 7, 3)], segments);

        var target = data.Folder("copy");
        using var copy = new TorrentStorage(torrent, target);
        copy.Write(8, all.AsSpan(8, 10));
        Assert.Equal(all.AsSpan(0, 10).ToArray()[8..], File.ReadAllBytes(Path.Combine(target, "multi", "a"))[8..]);
        Assert.Equal(all.AsSpan(10, 5).ToArray(), File.ReadAllBytes(Path.Combine(target, "multi", "b")));
        Assert.False(File.Exists(Path.Combine(target, "multi", "empty")));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.Read(30, new byte[6]));
    }

    [Fact]
    public void Verification_finds_good_pieces_and_misses_corrupt_or_missing_ones()
    {
        var (data, torrent) = TestData.Create("v", [("x", 40_000), ("y", 40_000)], 16 * 1024);
        using var _ = data;
        using (var storage = new TorrentStorage(torrent, data.Seed))
        {
            Assert.True(storage.Verify(2, CancellationToken.None).AllSet);
        }

        var x = Path.Combine(data.Seed, "v", "x");
        var bytes = File.ReadAllBytes(x);
        bytes[20_000] ^= 0xFF;
        File.WriteAllBytes(x, bytes);
        File.Delete(Path.Combine(data.Seed, "v", "y"));
        using var damaged = new TorrentStorage(torrent, data.Seed);
        var have = damaged.Verify(2, CancellationToken.None);
        Assert.True(have[0]);
        Assert.False(have[1]);
        Assert.False(have[2]);
        Assert.False(have[4]);
        Assert.Equal(1, have.TrueCount);
        Assert.False(File.Exists(Path.Combine(data.Seed, "v", "y")));
    }

    [SkippableFact]
    public void Verification_sixteen_pieces_at_a_time_decides_exactly_as_one_by_one()
    {
        Skip.If(Sha1MultiBuffer.LaneCount == 0, "this CPU has no multi-buffer SHA-1");
        // 16 KiB pieces over two files: 43 pieces, groups of 16 with one crossing the file boundary.
        var (data, torrent) = TestData.Create("g", [("x", 300_000), ("y", 400_000)], 16 * 1024);
        using var _ = data;
        var x = Path.Combine(data.Seed, "g", "x");
        var bytes = File.ReadAllBytes(x);
        bytes[(3 * 16 * 1024) + 5] ^= 0x01;
        bytes[(17 * 16 * 1024) + 100] ^= 0x80;
        File.WriteAllBytes(x, bytes);
        using (var y = new FileStream(Path.Combine(data.Seed, "g", "y"), FileMode.Open))
        {
            y.SetLength(400_000 - 50_000); // the last pieces' data is missing
        }

        using var storage = new TorrentStorage(torrent, data.Seed);
        var grouped = storage.Verify(2, Sha1MultiBuffer.LaneCount, CancellationToken.None);
        var single = storage.Verify(2, 0, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, torrent.PieceCount).Select(i => single[i]), Enumerable.Range(0, torrent.PieceCount).Select(i => grouped[i]));
        Assert.False(grouped[3]);
        Assert.False(grouped[17]);
        Assert.False(grouped[torrent.PieceCount - 1]);
        Assert.True(grouped[0] && grouped[16] && grouped[18] && grouped[31]);
        Assert.Equal(torrent.PieceCount - 2 - 4, grouped.TrueCount);
    }

    [SkippableFact]
    public void Verification_sixteen_pieces_at_a_time_takes_piece_lengths_that_are_not_whole_blocks()
    {
        Skip.If(Sha1MultiBuffer.LaneCount == 0, "this CPU has no multi-buffer SHA-1");
        // 10,000-byte pieces: not a power of two nor whole 64-byte blocks, which BEP 3 allows.
        var (data, torrent) = TestData.Create("odd", [("", 40 * 10_000)], 10_000);
        using var _ = data;
        using var storage = new TorrentStorage(torrent, data.Seed);

        Assert.True(storage.Verify(2, Sha1MultiBuffer.LaneCount, CancellationToken.None).AllSet);
    }

    [Fact]
    public void Paths_outside_the_folder_are_refused()
    {
        Assert.Throws<MetainfoException>(() => TorrentPaths.Resolve("/tmp/x", ["..", "etc"]));
        Assert.Throws<MetainfoException>(() => TorrentPaths.Resolve("/tmp/x", ["a/b"]));
    }

    [Fact]
    public void Reading_a_missing_file_is_an_io_error_not_an_empty_file()
    {
        var (data, torrent) = TestData.Create("m", [("", 1000)], 16 * 1024);
        using var _ = data;
        using var storage = new TorrentStorage(torrent, data.Folder("empty"));
        Assert.ThrowsAny<IOException>(() => storage.Read(0, new byte[10]));
        Assert.False(storage.VerifyPiece(0));
        Assert.False(File.Exists(Path.Combine(data.Root, "empty", "m")));
    }
    [Fact]
    public async Task A_read_is_never_cut_off_by_a_write_that_reopens_the_file_or_by_closing_the_handles()
    {
        var (data, torrent) = TestData.Create("shared.bin", [("", 64 * 1024)], 16 * 1024);
        using var _ = data;
        using var storage = new TorrentStorage(torrent, data.Seed);
        var block = new byte[16 * 1024];
        storage.Read(0, block);
        var expected = block.ToArray();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        var failures = new List<Exception>();

        // Readers (as uploads do, outside any session lock) while the handle is upgraded to a writable one and
        // dropped again, over and over.
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var mine = new byte[16 * 1024];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    storage.Read(16 * 1024, mine);
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add(e);
                    }

                    return;
                }
            }
        })).ToArray();
        var rounds = 0;
        while (!stop.IsCancellationRequested && rounds < 200_000)
        {
            storage.CloseHandles();
            storage.Read(0, block);
            storage.Write(0, expected);
            rounds++;
        }

        await Task.WhenAll(readers);
        lock (failures)
        {
            Assert.True(failures.Count == 0, $"after {rounds} rounds: {string.Join("; ", failures.Select(f => f.GetType().Name + ": " + f.Message))}");
        }
    }
}
