using System.Text;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Node.Tests.Commands;

public sealed class InfoCommandTests : IDisposable
{
    private readonly TempFolder _temp = new("torrentactors-info-cmd-");

    public void Dispose() => _temp.Dispose();

    private async Task<(string Path, Torrent Torrent)> MakeAsync()
    {
        var folder = Path.Combine(_temp.Path, "album");
        Directory.CreateDirectory(Path.Combine(folder, "cd1"));
        await File.WriteAllBytesAsync(Path.Combine(folder, "cd1", "01.flac"), new byte[70_000]);
        await File.WriteAllBytesAsync(Path.Combine(folder, "cover.jpg"), new byte[3_000]);
        var torrent = await TorrentMaker.CreateAsync(folder, new TorrentMakerOptions
        {
            PieceLength = 16 * 1024,
            AnnounceTiers = [["http://a.example/announce"], ["http://b.example/announce"]],
            Comment = "line one\u001b[31m",
        });
        var path = Path.Combine(_temp.Path, "album.torrent");
        await File.WriteAllBytesAsync(path, torrent.EncodedBytes.ToArray());
        return (path, torrent);
    }

    [Fact]
    public async Task Info_prints_name_hash_size_pieces_files_trackers_and_magnet()
    {
        var (path, torrent) = await MakeAsync();

        var result = await CommandRunner.RunAsync("info", path);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        var lines = result.Stdout.Split('\n');
        Assert.Contains("name: album", lines);
        Assert.Contains($"infohash: {torrent.InfoHash.ToHex()}", lines);
        Assert.Contains("size: 73000 bytes (71.29 KiB)", lines);
        Assert.Contains("piece length: 16384 bytes (16 KiB)", lines);
        Assert.Contains("pieces: 5", lines);
        Assert.Contains("files: 2", lines);
        Assert.Contains("  album/cd1/01.flac (70000 bytes)", lines);
        Assert.Contains("  tier 2: http://b.example/announce", lines);
        Assert.Contains("comment: line one?[31m", lines);
        var magnet = lines.Single(l => l.StartsWith("magnet: ", StringComparison.Ordinal))["magnet: ".Length..];
        var link = MagnetLink.Parse(magnet);
        Assert.Equal(torrent.InfoHash, link.InfoHash);
        Assert.Equal(["http://a.example/announce", "http://b.example/announce"], link.Trackers);
    }

    public static TheoryData<string, byte[]> HostileFiles() => new()
    {
        { "garbage", Encoding.ASCII.GetBytes("this is not bencode") },
        { "truncated", Encoding.ASCII.GetBytes("d4:infod6:lengthi10e4:name1:a12:piece lengthi16384e6:pieces20:abc") },
        { "deep nesting", Encoding.ASCII.GetBytes("d4:info" + new string('l', 100_000) + new string('e', 100_000) + "e") },
        { "huge string length", Encoding.ASCII.GetBytes($"d4:info{1L << 40}:xe") },
        { "dot dot path", Encoding.ASCII.GetBytes("d4:infod5:filesld6:lengthi1e4:pathl2:..6:passwdeee4:name1:d12:piece lengthi16384e6:pieces20:" + new string('x', 20) + "ee") },
        { "wrong types", Encoding.ASCII.GetBytes("d4:infod6:length3:abc4:name1:a12:piece lengthi16384e6:pieces20:" + new string('x', 20) + "ee") },
        { "empty", [] },
    };

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public async Task Info_reports_a_hostile_file_as_invalid_without_crashing(string why, byte[] bytes)
    {
        var path = Path.Combine(_temp.Path, "hostile.torrent");
        await File.WriteAllBytesAsync(path, bytes);

        var result = await CommandRunner.RunAsync("info", path);

        Assert.True(result.ExitCode == 1, why);
        Assert.Contains("is not a valid torrent", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Info_reports_a_missing_file()
    {
        var result = await CommandRunner.RunAsync("info", Path.Combine(_temp.Path, "missing.torrent"));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot read", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Info_help_describes_the_command()
    {
        var result = await CommandRunner.RunAsync("info", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("FILE", result.Stdout);
        Assert.Contains("magnet", result.Stdout);
    }
}
