using TorrentActors.Engine.Making;
using Xunit;

namespace TorrentActors.Engine.Tests.Making;

/// <summary>
/// The hasher's two ways to the bytes: a leased memory map of the page cache, and positional reads. Both must give
/// the same hashes, and a file that is truncated while it is hashed must give a clear error, never a SIGBUS.
/// </summary>
public sealed class PieceHasherTests : IDisposable
{
    private const int MiB = 1024 * 1024;
    private readonly TempFolder _temp = new("torrentactors-hasher-");

    public void Dispose() => _temp.Dispose();

    [SkippableFact]
    public async Task Big_files_are_hashed_from_a_leased_map_and_batches_across_files_are_read() =>
        await AssertMixedMapAndReadsHashRightAsync([("a", (3 * MiB) + 100), ("b", 7), ("c", (5 * MiB / 2) + 3)], 64 * 1024, lanes: null);

    // With 16 lanes: the first group of 256 KiB pieces lies in "a" (mapped), the second crosses into "b" (read, four
    // 64 KiB slices per piece), and the 5-byte last piece goes alone through SHA1.HashData.
    [SkippableFact]
    public async Task Pieces_longer_than_a_slice_hash_alike_from_the_map_and_from_reads_across_files() =>
        await AssertMixedMapAndReadsHashRightAsync([("a", (4 * MiB) + 5), ("b", 4 * MiB)], 256 * 1024, lanes: null);

    [SkippableFact]
    public async Task Without_multi_buffer_lanes_pieces_are_hashed_one_by_one_from_the_map_and_from_reads() =>
        await AssertMixedMapAndReadsHashRightAsync([("a", (3 * MiB) + 100), ("b", 7), ("c", (5 * MiB / 2) + 3)], 64 * 1024, lanes: 0);

    /// <summary>
    /// Hashes files laid out so that part of the bytes come from a map and part from reads (<paramref name="lanes"/>:
    /// null for this CPU's choice), and checks every piece hash and that at least 4 MiB came from the map.
    /// </summary>
    private async Task AssertMixedMapAndReadsHashRightAsync((string Name, int Length)[] layout, int pieceLength, int? lanes)
    {
        SkipUnlessLeasesWork();
        var files = Lay(layout);
        var data = files.SelectMany(f => File.ReadAllBytes(f.FullPath)).ToArray();

        var result = lanes is { } chosen
            ? await PieceHasher.HashAsync(files, data.Length, pieceLength, 2, chosen, null, CancellationToken.None)
            : await PieceHasher.HashAsync(files, data.Length, pieceLength, 2, null, CancellationToken.None);

        Assert.Equal(TorrentMakerTests.ExpectedPieces(data, pieceLength), result.Pieces);
        Assert.InRange(result.MappedBytes, 4 * MiB, data.Length - 1);
    }

    [SkippableFact]
    public async Task A_file_someone_has_open_for_writing_is_read_not_mapped()
    {
        SkipUnlessLeasesWork();
        var files = Lay(("busy", 4 * MiB));
        var data = File.ReadAllBytes(files[0].FullPath);

        using (new FileStream(files[0].FullPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            var result = await PieceHasher.HashAsync(files, data.Length, 256 * 1024, 2, null, CancellationToken.None);
            Assert.Equal(TorrentMakerTests.ExpectedPieces(data, 256 * 1024), result.Pieces);
            Assert.Equal(0, result.MappedBytes);
        }
    }

    [Fact]
    public async Task A_file_truncated_while_it_is_hashed_from_the_map_is_a_clear_error_and_the_process_lives()
    {
        var files = Lay(("victim", 48 * MiB));
        var truncator = new TruncateOnFirstReport(files[0].FullPath);

        var error = await Assert.ThrowsAsync<TorrentMakerException>(
            () => PieceHasher.HashAsync(files, files[0].Length, MiB, 2, truncator, CancellationToken.None));

        Assert.Contains("got shorter", error.Message);
        Assert.True(truncator.Truncated.Wait(TimeSpan.FromSeconds(10)), "the truncating writer got the file once the lease was let go");
        Assert.Equal(0, new FileInfo(files[0].FullPath).Length);
    }

    /// <summary>The mapped path needs Linux and a file system that grants read leases (some network file systems do not).</summary>
    private void SkipUnlessLeasesWork()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "read leases and the mapped path are Linux only");
        var probe = Lay(("lease-probe", 4096))[0];
        using var handle = File.OpenHandle(probe.FullPath);
        using var mapping = LeasedMapping.TryCreate(handle, probe.Length);
        Skip.If(mapping is null, $"the file system of {_temp.Path} grants no read leases, so the maker reads instead of mapping");
    }

    private SourceFile[] Lay(params (string Name, int Length)[] specs)
    {
        var files = new SourceFile[specs.Length];
        long offset = 0;
        for (var i = 0; i < specs.Length; i++)
        {
            var path = Path.Combine(_temp.Path, specs[i].Name);
            var bytes = new byte[specs[i].Length];
            new Random(i + 1).NextBytes(bytes);
            File.WriteAllBytes(path, bytes);
            files[i] = new SourceFile(path, [specs[i].Name], bytes.Length, offset);
            offset += bytes.Length;
        }

        return files;
    }

    /// <summary>
    /// On the first progress report, starts a writer that opens the file and truncates it to zero. Until the writer
    /// is done, every report (made on a hashing worker) waits 20 ms, so the hashing cannot finish before it: the
    /// workers must notice the waiting writer, let go of their maps and leases, and then meet the short file. A
    /// report never blocks on the writer itself, since the writer waits for the very worker that reports.
    /// </summary>
    private sealed class TruncateOnFirstReport(string path) : IProgress<MakeProgress>
    {
        private int _started;

        public ManualResetEventSlim Truncated { get; } = new();

        public void Report(MakeProgress value)
        {
            if (Interlocked.Exchange(ref _started, 1) == 0)
            {
                _ = Task.Run(() =>
                {
                    using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
                    {
                        stream.SetLength(0);
                    }

                    Truncated.Set();
                });
            }

            if (!Truncated.IsSet)
            {
                Thread.Sleep(20);
            }
        }
    }
}
