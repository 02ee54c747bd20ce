using Xunit;

namespace TorrentActors.Tracker.Tests;

public sealed class TorrentFilesTests : IAsyncLifetime
{
    private readonly TempFolder _temp = new("ta-tf-");
    private TrackerServer _tracker = null!;

    public async Task InitializeAsync()
    {
        var served = Directory.CreateDirectory(Path.Combine(_temp.Path, "served")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(served, "linux iso.torrent"), "d4:infode"u8.ToArray());
        await File.WriteAllTextAsync(Path.Combine(served, "notes.txt"), "not a torrent");
        await File.WriteAllTextAsync(Path.Combine(_temp.Path, "secret.torrent"), "outside");
        Directory.CreateDirectory(Path.Combine(served, "sub"));
        await File.WriteAllTextAsync(Path.Combine(served, "sub", "a.torrent"), "nested");
        File.CreateSymbolicLink(Path.Combine(served, "link.torrent"), Path.Combine(_temp.Path, "secret.torrent"));
        _tracker = await TrackerServer.StartAsync(new TrackerOptions { HttpPort = 0, UdpPort = null, TorrentDirectory = served });
    }

    public async Task DisposeAsync()
    {
        await _tracker.DisposeAsync();
        _temp.Dispose();
    }

    [Fact]
    public async Task A_torrent_in_the_folder_is_served_as_application_x_bittorrent()
    {
        var reply = await RawHttp.GetAsync(_tracker.HttpEndPoint, _tracker.GetTorrentUri("linux iso.torrent").PathAndQuery);
        Assert.Equal(200, reply.Status);
        Assert.Equal("application/x-bittorrent", reply.Headers["content-type"]);
        Assert.Equal("d4:infode"u8.ToArray(), reply.Body);
    }

    [Theory]
    [InlineData("/torrents/..%2Fsecret.torrent")]
    [InlineData("/torrents/..%2fsecret.torrent")]
    [InlineData("/torrents/%2E%2E%2Fsecret.torrent")]
    [InlineData("/torrents/..%5Csecret.torrent")]
    [InlineData("/torrents/../secret.torrent")]
    [InlineData("/torrents/%2Ftmp%2Fsecret.torrent")]
    [InlineData("/torrents//etc/passwd")]
    [InlineData("/torrents/sub%2Fa.torrent")]
    [InlineData("/torrents/sub/a.torrent")]
    [InlineData("/torrents/notes.txt")]
    [InlineData("/torrents/missing.torrent")]
    [InlineData("/torrents/link.torrent")]
    [InlineData("/torrents/.torrent")]
    [InlineData("/torrents/%00.torrent")]
    [InlineData("/torrents/%ZZ.torrent")]
    [InlineData("/torrents/")]
    public async Task Anything_but_a_plain_torrent_file_in_the_folder_is_404(string target)
    {
        var reply = await RawHttp.GetAsync(_tracker.HttpEndPoint, target);
        Assert.True(reply.Status is 404 or 400, $"{target}: {reply.Status}");
        Assert.DoesNotContain("outside", System.Text.Encoding.ASCII.GetString(reply.Body));
    }

    [Theory]
    [InlineData("a.torrent", true)]
    [InlineData("A B.TORRENT", true)]
    [InlineData("../a.torrent", false)]
    [InlineData("..a.torrent", false)]
    [InlineData("/a.torrent", false)]
    [InlineData(".hidden.torrent", false)]
    [InlineData("a.torrent.txt", false)]
    public void Names_are_checked_before_any_file_system_access(string name, bool safe) =>
        Assert.Equal(safe, TorrentFiles.IsSafeName(name));

    [Theory]
    [InlineData("C:a.torrent")]
    [InlineData("a:b.bin.torrent")]
    public void A_name_with_a_colon_is_served_except_on_windows(string name) =>
        Assert.Equal(!OperatingSystem.IsWindows(), TorrentFiles.IsSafeName(name));
}
