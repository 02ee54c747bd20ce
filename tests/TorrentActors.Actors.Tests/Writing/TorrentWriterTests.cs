using TorrentActors.Actors.Tests.Support;
using TorrentActors.Actors.Writing;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Torrents;
using Xunit;

namespace TorrentActors.Actors.Tests.Writing;

public class TorrentWriterTests : IDisposable
{
    private readonly TempFolder _temp = new("ta-writer-");

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Publish_writes_the_exact_bytes_and_leaves_no_temp_file()
    {
        var torrent = TestTorrents.Make("movie.mkv");
        Assert.Equal(PublishResult.Written, TorrentFileStore.Publish(_temp.Path, torrent));
        Assert.Equal(torrent.EncodedBytes.ToArray(), File.ReadAllBytes(Path.Combine(_temp.Path, "movie.mkv.torrent")));
        Assert.Equal(["movie.mkv.torrent"], Directory.GetFiles(_temp.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void The_same_torrent_again_is_accepted_and_the_file_kept()
    {
        var torrent = TestTorrents.Make("movie.mkv");
        TorrentFileStore.Publish(_temp.Path, torrent);
        Assert.Equal(PublishResult.AlreadyPresent, TorrentFileStore.Publish(_temp.Path, torrent));
    }

    [Fact]
    public void A_different_torrent_of_the_same_name_is_never_written_over()
    {
        var first = TestTorrents.Make("movie.mkv", salt: "one");
        var second = TestTorrents.Make("movie.mkv", salt: "two");
        TorrentFileStore.Publish(_temp.Path, first);
        Assert.Equal(PublishResult.Conflict, TorrentFileStore.Publish(_temp.Path, second));
        Assert.Equal(first.EncodedBytes.ToArray(), File.ReadAllBytes(Path.Combine(_temp.Path, "movie.mkv.torrent")));
        Assert.Single(Directory.GetFiles(_temp.Path));
    }

    [Fact]
    public void A_non_torrent_file_under_the_name_counts_as_a_conflict()
    {
        File.WriteAllText(Path.Combine(_temp.Path, "movie.mkv.torrent"), "not bencode");
        Assert.Equal(PublishResult.Conflict, TorrentFileStore.Publish(_temp.Path, TestTorrents.Make("movie.mkv")));
        Assert.Equal("not bencode", File.ReadAllText(Path.Combine(_temp.Path, "movie.mkv.torrent")));
    }

    [Fact]
    public async Task The_writer_actor_publishes_then_seeds_in_place()
    {
        await using var node = await TestNode.StartAsync();
        var torrent = TestTorrents.Make("seed.bin");
        var writer = node.Registry.Get<TorrentWriterActor>();
        writer.Tell(new TorrentCommands.PublishTorrent("file:/data/seed.bin", torrent, "/data", RequestId.None), Akka.Actor.ActorRefs.NoSender);

        Assert.Equal("1:seed.bin:-1", await node.Stdout.NextAsync());
        Assert.Equal("1:seed.bin:100", await node.Stdout.NextAsync());
        Assert.True(File.Exists(Path.Combine(node.Settings.TorrentDirectory, "seed.bin.torrent")));
        var session = Assert.Single(node.Engine.Sessions);
        Assert.Equal("/data", session.Options.DownloadDirectory);
        Assert.True(session.Options.DataVerified);
    }

    [Fact]
    public async Task The_writer_actor_reports_a_name_clash_and_does_not_seed()
    {
        await using var node = await TestNode.StartAsync();
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, TestTorrents.Make("seed.bin", salt: "old"));
        var writer = node.Registry.Get<TorrentWriterActor>();
        writer.Tell(new TorrentCommands.PublishTorrent("file:/data/seed.bin", TestTorrents.Make("seed.bin", salt: "new"), "/data", RequestId.None), Akka.Actor.ActorRefs.NoSender);

        var error = await node.Stdout.NextAsync();
        Assert.StartsWith("error: file:/data/seed.bin: ", error);
        Assert.EndsWith("seed.bin.torrent already holds a different torrent; not overwritten", error);
        Assert.Empty(node.Engine.Sessions);
    }
}
