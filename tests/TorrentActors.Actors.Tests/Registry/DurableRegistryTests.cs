using Microsoft.Data.Sqlite;
using TorrentActors.Actors.Tests.Support;
using TorrentActors.Actors.Writing;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Actors.Tests.Registry;

/// <summary>The patrons' registry on a real SQLite file, with one node after another on the same file.</summary>
public class DurableRegistryTests
{
    private static async Task<Torrent> OpenAsync(TestNode node, string name)
    {
        var torrent = TestTorrents.Make(name);
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, torrent);
        await node.SendAsync($"torrent:{name}.torrent");
        return torrent;
    }

    private static long Count(string database, string table)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {table}";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task A_node_on_the_same_database_gets_every_torrent_back_from_snapshot_and_events_with_its_ID_and_state()
    {
        using var folder = new TempFolder("ta-registry-");
        var database = Path.Combine(folder.Path, "registry.db");
        Torrent one, two, three;

        var engine = new FakeTorrentEngine();
        await using (var node = await TestNode.StartAsync(engine, s => s with { SnapshotEvery = 2 }, stateDatabasePath: database))
        {
            one = await OpenAsync(node, "one.bin");
            Assert.Equal("1:one.bin:-1", await node.Stdout.NextAsync());
            Assert.Equal("1:one.bin:100", await node.Stdout.NextAsync());
            two = await OpenAsync(node, "two.bin");
            Assert.Equal("2:two.bin:-1", await node.Stdout.NextAsync());
            Assert.Equal("2:two.bin:100", await node.Stdout.NextAsync());
            three = await OpenAsync(node, "three.bin");
            Assert.Equal("3:three.bin:-1", await node.Stdout.NextAsync());
            Assert.Equal("3:three.bin:100", await node.Stdout.NextAsync());
            await node.SendAsync("stop:2");
            await node.SendAsync("remove:1");
            await WaitAsync(() => engine.Removed.Contains(one.InfoHash) && engine.Sessions.Single(s => s.Torrent.InfoHash == two.InfoHash).StopCount > 0);
        }

        Assert.True(Count(database, "snapshot") >= 1);
        Assert.Equal(5, Count(database, "journal"));

        var again = new FakeTorrentEngine();
        await using var restarted = await TestNode.StartAsync(again, stateDatabasePath: database);
        var lines = new[] { await restarted.Stdout.NextAsync(), await restarted.Stdout.NextAsync(), await restarted.Stdout.NextAsync() };
        Assert.Equal(["2:two.bin:-1", "3:three.bin:-1", "3:three.bin:100"], lines.Order(StringComparer.Ordinal));
        Assert.Equal(new[] { two.InfoHash.ToHex(), three.InfoHash.ToHex() }.Order(), again.Sessions.Select(s => s.Torrent.InfoHash.ToHex()).Order());
        Assert.Equal(0, again.Sessions.Single(s => s.Torrent.InfoHash == two.InfoHash).StartCount);
        Assert.Equal(1, again.Sessions.Single(s => s.Torrent.InfoHash == three.InfoHash).StartCount);
        Assert.Equal(three.EncodedBytes.ToArray(), again.Sessions.Single(s => s.Torrent.InfoHash == three.InfoHash).Torrent.EncodedBytes.ToArray());

        // IDs continue after the highest ever given, and a removed torrent may come back under a new one.
        await OpenAsync(restarted, "four.bin");
        Assert.Equal("4:four.bin:-1", await restarted.Stdout.NextAsync());
        TorrentFileStore.Publish(restarted.Settings.TorrentDirectory, one);
        await restarted.SendAsync("torrent:one.bin.torrent");
        Assert.Equal("5:one.bin:-1", await restarted.Stdout.WaitForAsync(l => l.StartsWith("5:", StringComparison.Ordinal)));
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}
