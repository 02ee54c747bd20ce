using System.Text.RegularExpressions;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.Interop.Tests.Metainfo;

/// <summary>Our maker against mktorrent 1.1, and our .torrent files read by transmission-show and python3-libtorrent.</summary>
public sealed partial class MakerInteropTests : IDisposable
{
    private const string Announce = "http://127.0.0.1:6969/announce";

    private readonly TempFolder _temp = new("torrentactors-maker-interop-");

    public void Dispose() => _temp.Dispose();

    private void WriteFile(string relative, int length, int seed)
    {
        var path = Path.Combine(_temp.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
    }

    private string CreateTree()
    {
        WriteFile("tree/B.bin", 100_000, 1);
        WriteFile("tree/a-b.txt", 17, 2);
        WriteFile("tree/a.txt", 40_000, 3);
        WriteFile("tree/a/b/c.dat", 250_000, 4);
        WriteFile("tree/a/z", 1, 5);
        WriteFile("tree/empty", 0, 6);
        WriteFile("tree/sub folder/ünïcode name.txt", 65_536, 7);
        WriteFile("tree/zz/last", 33_333, 8);
        return Path.Combine(_temp.Path, "tree");
    }

    private async Task<InfoHash> MktorrentAsync(string path, int exponent, string output)
    {
        var mktorrent = ExternalTool.Require("mktorrent", "mktorrent");
        var result = await TestProcess.RunAsync(mktorrent, ["-l", exponent.ToString(), "-a", Announce, "-o", output, path]);
        Assert.True(result.ExitCode == 0, $"mktorrent failed: {result.Stderr}");
        return Torrent.Load(output).InfoHash;
    }

    private static async Task<Torrent> OursAsync(string path, int exponent, bool includeHidden = false) =>
        await TorrentMaker.CreateAsync(path, new TorrentMakerOptions
        {
            PieceLength = 1L << exponent,
            AnnounceTiers = [[Announce]],
            IncludeHidden = includeHidden,
        });

    [SkippableTheory]
    [InlineData(15)]
    [InlineData(18)]
    public async Task Single_file_infohash_equals_mktorrents(int exponent)
    {
        WriteFile("single.bin", (3 * 1024 * 1024) + 12_345, 42);
        var path = Path.Combine(_temp.Path, "single.bin");
        var theirs = await MktorrentAsync(path, exponent, Path.Combine(_temp.Path, "mk.torrent"));
        var ours = await OursAsync(path, exponent);
        Assert.Equal(theirs, ours.InfoHash);
    }

    [SkippableTheory]
    [InlineData(15)]
    [InlineData(17)]
    public async Task Directory_infohash_equals_mktorrents(int exponent)
    {
        var tree = CreateTree();
        var theirs = await MktorrentAsync(tree, exponent, Path.Combine(_temp.Path, "mk.torrent"));
        var ours = await OursAsync(tree, exponent);
        Assert.Equal(theirs, ours.InfoHash);
        Assert.Equal(8, ours.Files.Count);
    }

    [SkippableFact]
    public async Task Directory_with_a_fifo_matches_mktorrent_which_skips_it_too()
    {
        var tree = CreateTree();
        Assert.Equal(0, MakeFifo(Path.Combine(tree, "a", "pipe"), 0b110_100_100));
        var theirs = await MktorrentAsync(tree, 15, Path.Combine(_temp.Path, "mk.torrent"));
        var ours = await OursAsync(tree, 15).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(theirs, ours.InfoHash);
        Assert.Equal(8, ours.Files.Count);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    private static extern int MakeFifo(string path, uint mode);

    [SkippableFact]
    public async Task Directory_with_hidden_files_matches_mktorrent_when_hidden_files_are_included()
    {
        var tree = CreateTree();
        WriteFile("tree/.hidden", 999, 9);
        WriteFile("tree/.config/settings", 5_000, 10);
        var theirs = await MktorrentAsync(tree, 15, Path.Combine(_temp.Path, "mk.torrent"));
        Assert.Equal(theirs, (await OursAsync(tree, 15, includeHidden: true)).InfoHash);
        Assert.NotEqual(theirs, (await OursAsync(tree, 15)).InfoHash);
    }

    [SkippableFact]
    public async Task Transmission_show_reads_our_torrents_with_the_same_infohash()
    {
        var show = ExternalTool.Require("transmission-show", "transmission-cli");
        var tree = CreateTree();
        var ours = await OursAsync(tree, 15);
        var file = Path.Combine(_temp.Path, "ours.torrent");
        await File.WriteAllBytesAsync(file, ours.EncodedBytes.ToArray());

        var result = await TestProcess.RunAsync(show, [file]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(ours.InfoHash.ToHex(), HashLine().Match(result.Stdout).Groups[1].Value);
        Assert.Contains("tree/a/b/c.dat", result.Stdout);
        Assert.Contains(Announce, result.Stdout);
    }

    [SkippableFact]
    public async Task Libtorrent_reads_our_torrents_with_the_same_infohash_files_and_pieces()
    {
        var python = ExternalTool.RequireLibtorrentPython();
        var tree = CreateTree();
        var ours = await OursAsync(tree, 16);
        var multi = Path.Combine(_temp.Path, "multi.torrent");
        await File.WriteAllBytesAsync(multi, ours.EncodedBytes.ToArray());
        WriteFile("one.bin", 1_000_000, 11);
        var single = await OursAsync(Path.Combine(_temp.Path, "one.bin"), 15);
        var singleFile = Path.Combine(_temp.Path, "single.torrent");
        await File.WriteAllBytesAsync(singleFile, single.EncodedBytes.ToArray());

        const string script = """
            import sys, libtorrent as lt
            for path in sys.argv[1:]:
                ti = lt.torrent_info(path)
                print(ti.info_hashes().v1, ti.num_files(), ti.total_size(), ti.piece_length(), ti.num_pieces())
            """;
        var result = await TestProcess.RunAsync(python, ["-c", script, multi, singleFile]);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"{ours.InfoHash.ToHex()} {ours.Files.Count} {ours.TotalLength} {ours.PieceLength} {ours.PieceCount}", lines[0].Trim());
        Assert.Equal($"{single.InfoHash.ToHex()} 1 1000000 32768 {single.PieceCount}", lines[1].Trim());
    }

    /// <summary>
    /// Single file only: libtorrent's creator lists a folder in directory-read order, not sorted, so for folders
    /// only mktorrent is a fixed reference.
    /// </summary>
    [SkippableFact]
    public async Task Libtorrent_v1_only_single_file_torrents_and_ours_share_an_infohash()
    {
        var python = ExternalTool.RequireLibtorrentPython();
        WriteFile("lt-single.bin", 777_777, 12);
        var tree = Path.Combine(_temp.Path, "lt-single.bin");
        var output = Path.Combine(_temp.Path, "lt.torrent");
        const string script = """
            import sys, libtorrent as lt
            fs = lt.file_storage()
            lt.add_files(fs, sys.argv[1])
            t = lt.create_torrent(fs, int(sys.argv[2]), flags=lt.create_torrent.v1_only)
            t.add_tracker(sys.argv[3])
            lt.set_piece_hashes(t, sys.argv[4])
            open(sys.argv[5], "wb").write(lt.bencode(t.generate()))
            """;
        var result = await TestProcess.RunAsync(python, ["-c", script, tree, (1 << 15).ToString(), Announce, _temp.Path, output]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(Torrent.Load(output).InfoHash, (await OursAsync(tree, 15)).InfoHash);
    }

    [GeneratedRegex(@"Hash: ([0-9a-f]{40})")]
    private static partial Regex HashLine();
}
