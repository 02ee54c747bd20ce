using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Node.Tests.Commands;

public sealed class MakeCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("torrentactors-make-cmd-");

    public void Dispose() => _temp.Dispose();

    private string WriteFile(string name, int length)
    {
        var path = Path.Combine(_temp.Path, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task Make_writes_the_torrent_and_prints_only_the_infohash_on_stdout()
    {
        var data = WriteFile("data.bin", 300_000);
        var output = Path.Combine(_temp.Path, "out.torrent");

        var result = await CommandRunner.RunAsync("make", data, "--output", output);

        Assert.Equal(0, result.ExitCode);
        var torrent = Torrent.Load(output);
        Assert.Equal(torrent.InfoHash.ToHex() + Environment.NewLine, result.Stdout);
        Assert.Contains("hashing: 100%", result.Stderr);
        Assert.Equal("data.bin", torrent.Name);
        Assert.Equal(300_000, torrent.TotalLength);
        Assert.NotNull(torrent.CreationDate);
    }

    [Fact]
    public async Task Make_passes_trackers_piece_length_private_comment_and_web_seeds_through()
    {
        WriteFile("folder/a", 40_000);
        WriteFile("folder/sub/b", 10);
        var output = Path.Combine(_temp.Path, "folder.torrent");

        var result = await CommandRunner.RunAsync(
            "make", Path.Combine(_temp.Path, "folder"),
            "--announce", "http://a.example/announce", "-a", "udp://b.example:6969",
            "--piece-length", "32768", "--private", "--comment", "hello there",
            "--web-seed", "http://web.example/", "-o", output, "--no-date");

        Assert.Equal(0, result.ExitCode);
        var torrent = Torrent.Load(output);
        Assert.Equal([["http://a.example/announce"], ["udp://b.example:6969"]], torrent.AnnounceTiers);
        Assert.Equal(32_768, torrent.PieceLength);
        Assert.True(torrent.IsPrivate);
        Assert.Equal("hello there", torrent.Comment);
        Assert.Equal(["http://web.example/"], torrent.UrlList);
        Assert.Null(torrent.CreationDate);
        Assert.Equal(["folder/a", "folder/sub/b"], torrent.Files.Select(f => f.RelativePath));
    }

    [Fact]
    public async Task Make_refuses_to_overwrite_a_different_file_unless_forced()
    {
        var data = WriteFile("x.bin", 1000);
        var output = Path.Combine(_temp.Path, "x.torrent");
        await File.WriteAllTextAsync(output, "something else");

        var refused = await CommandRunner.RunAsync("make", data, "-o", output, "--no-date");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("--force", refused.Stderr);
        Assert.Equal("", refused.Stdout);
        Assert.Equal("something else", await File.ReadAllTextAsync(output));

        var forced = await CommandRunner.RunAsync("make", data, "-o", output, "--no-date", "--force");
        Assert.Equal(0, forced.ExitCode);
        var hash = Torrent.Load(output).InfoHash.ToHex();

        var again = await CommandRunner.RunAsync("make", data, "-o", output, "--no-date");
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(hash, again.Stdout.Trim());
    }

    [Fact]
    public async Task Make_reports_a_missing_path_on_stderr_with_a_failing_exit_code()
    {
        var result = await CommandRunner.RunAsync("make", Path.Combine(_temp.Path, "missing"), "-o", Path.Combine(_temp.Path, "m.torrent"));
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("does not exist", result.Stderr);
        Assert.Equal("", result.Stdout);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "m.torrent")));
    }

    [Theory]
    [InlineData("1000")]
    [InlineData("8192")]
    [InlineData("33554432")]
    [InlineData("-16384")]
    public async Task Make_refuses_a_bad_piece_length(string pieceLength)
    {
        var data = WriteFile("p.bin", 100);
        var result = await CommandRunner.RunAsync("make", data, "--piece-length", pieceLength, "-o", Path.Combine(_temp.Path, "p.torrent"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("power of two", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Make_rejects_a_piece_length_that_is_not_a_number()
    {
        var data = WriteFile("q.bin", 100);
        var result = await CommandRunner.RunAsync("make", data, "--piece-length", "big");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("big", result.Stderr);
        Assert.DoesNotContain(result.Stdout.Split('\n'), line => line.Length == 40 && line.All(char.IsAsciiHexDigitLower));
    }

    [Fact]
    public async Task Make_rejects_a_relative_announce_url()
    {
        var data = WriteFile("r.bin", 100);
        var result = await CommandRunner.RunAsync("make", data, "--announce", "not-a-url", "-o", Path.Combine(_temp.Path, "r.torrent"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not an absolute URL", result.Stderr);
    }

    [Fact]
    public async Task Make_refuses_an_empty_file()
    {
        var data = WriteFile("empty.bin", 0);
        var result = await CommandRunner.RunAsync("make", data, "-o", Path.Combine(_temp.Path, "e.torrent"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("empty", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Make_without_a_path_is_a_usage_error()
    {
        var result = await CommandRunner.RunAsync("make");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Required argument missing", result.Stderr);
    }

    [Fact]
    public async Task Make_help_lists_every_option()
    {
        var result = await CommandRunner.RunAsync("make", "--help");
        Assert.Equal(0, result.ExitCode);
        foreach (var option in new[] { "--announce", "--piece-length", "--private", "--comment", "--output", "--force", "--include-hidden", "--web-seed", "--no-date" })
        {
            Assert.Contains(option, result.Stdout);
        }
    }

    [Fact]
    public async Task The_executable_writes_NAME_torrent_into_the_current_folder_by_default()
    {
        WriteFile("share/file.txt", 5000);
        var result = await CommandRunner.RunProcessAsync(_temp.Path, "make", "share", "--no-date");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var written = Path.Combine(_temp.Path, "share.torrent");
        Assert.Equal(Torrent.Load(written).InfoHash.ToHex(), result.Stdout.Trim());
        Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var failed = await CommandRunner.RunProcessAsync(_temp.Path, "make", "nothing-here");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("error:", failed.Stderr);
        Assert.Equal("", failed.Stdout);
    }
}
