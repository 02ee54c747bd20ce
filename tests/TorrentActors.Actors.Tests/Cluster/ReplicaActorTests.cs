using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Hosting;
using Akka.DistributedData;
using Akka.Remote.Hosting;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Patrons;
using TorrentActors.Actors.Registry;
using TorrentActors.Actors.Tests.Support;
using TorrentActors.Engine.Metainfo;
using Xunit;
using AkkaCluster = Akka.Cluster.Cluster;

namespace TorrentActors.Actors.Tests.Cluster;

/// <summary>
/// The replica actor of a one-member cluster (a real Akka.Cluster and distributed data on 127.0.0.1, port 0; the fake
/// engine): what the catalog gives the member, it holds, and what the catalog removes, it drops.
/// </summary>
public sealed class ReplicaActorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private static Task<TestNode> StartMemberAsync(string name, FakeTorrentEngine engine, CatalogStore? store = null, TimeSpan? regroupTimeout = null) =>
        TestNode.StartAsync(engine, akka: (builder, settings) => builder
            .WithRemoting("127.0.0.1", 0)
            .WithClustering(new ClusterOptions { Roles = [ClusterKeys.NodeRolePrefix + name] })
            .AddReplicaActor(
                name,
                new ReplicaSettings(settings.DownloadDirectory, "127.0.0.1", TimeSpan.FromMilliseconds(200)),
                regroupTimeout,
                store is null ? null : _ => store));

    private static async Task JoinSelfAsync(ActorSystem system)
    {
        var cluster = AkkaCluster.Get(system);
        var up = new TaskCompletionSource();
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(cluster.SelfAddress);
        await up.Task.WaitAsync(Wait);
    }

    private static async Task PutAsync(ActorSystem system, CatalogEntry entry, Torrent? torrent = null)
    {
        var replicator = DistributedData.Get(system).Replicator;
        var cluster = AkkaCluster.Get(system);
        if (torrent is not null)
        {
            var metainfo = new TorrentMetainfo(entry.InfoHash, torrent.EncodedBytes.ToArray());
            await replicator.Ask<UpdateSuccess>(Dsl.Update(ClusterKeys.Metainfo(entry.InfoHash), new LWWRegister<TorrentMetainfo>(cluster.SelfUniqueAddress, metainfo), WriteLocal.Instance, r => r.WithValue(cluster.SelfUniqueAddress, metainfo)), Wait);
        }

        await replicator.Ask<UpdateSuccess>(
            Dsl.Update(ClusterKeys.Catalog, LWWDictionary<string, CatalogEntry>.Empty, WriteLocal.Instance, d => d.SetItem(cluster, entry.InfoHash, entry, (_, e) => e.Version)),
            Wait);
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what)
        where T : class
    {
        var deadline = DateTime.UtcNow + Wait;
        while (DateTime.UtcNow < deadline)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("Not seen within " + Wait + ": " + what);
    }

    [Fact]
    public async Task A_member_holds_what_the_catalog_places_on_it_under_the_catalogs_ID_and_publishes_its_copy()
    {
        var engine = new FakeTorrentEngine();
        await using var node = await StartMemberAsync("alpha", engine);
        await JoinSelfAsync(node.System);
        var torrent = TestTorrents.Make("placed.bin");
        var hash = torrent.InfoHash.ToHex();

        await PutAsync(node.System, new CatalogEntry(7, hash, "placed.bin", torrent.TotalLength, 2, "beta", null, ReplicaGoal.Running, 1), torrent);

        await node.Stdout.WaitForAsync(line => line == "7:placed.bin:100", Wait);
        var session = Assert.Single(engine.Sessions);
        Assert.Equal(node.Settings.DownloadDirectory, session.Options.DownloadDirectory);
        var patrons = node.Registry.Get<PatronsActor>();
        var listed = await patrons.Ask<CopiesListed>(ListCopies.Instance, Wait);
        var entry = Assert.Single(listed.Entries);
        Assert.Equal(7, entry.Id);
        Assert.True(entry.ClusterCopy);

        var replicator = DistributedData.Get(node.System).Replicator;
        var mine = await EventuallyAsync(
            async () =>
            {
                var response = await replicator.Ask<IGetResponse>(Dsl.Get(ClusterKeys.Holdings, ReadLocal.Instance), Wait);
                return response is GetSuccess ok && ok.Get(ClusterKeys.Holdings).TryGetValue("alpha", out var held) && held.Torrents.TryGetValue(hash, out var h) && h.Complete ? held : null;
            },
            "alpha's holdings with a complete copy");
        Assert.Equal(1, mine.PeerPort);
        Assert.Equal("127.0.0.1", mine.PeerHost);
    }

    [Fact]
    public async Task After_a_start_a_member_fetches_nothing_while_a_member_it_was_last_up_with_is_missing_and_fetches_once_the_wait_is_over()
    {
        using var temp = new TempFolder();
        var store = new CatalogStore(Path.Combine(temp.Path, "state.db"), null);
        Assert.True(store.SaveMember("beta"));
        var engine = new FakeTorrentEngine();
        var regroup = TimeSpan.FromSeconds(4);
        await using var node = await StartMemberAsync("alpha", engine, store, regroup);
        var started = DateTime.UtcNow;
        await JoinSelfAsync(node.System);
        var torrent = TestTorrents.Make("regroup.bin");
        await PutAsync(node.System, new CatalogEntry(9, torrent.InfoHash.ToHex(), "regroup.bin", torrent.TotalLength, 2, "beta", null, ReplicaGoal.Running, 1), torrent);

        // beta never comes back: alpha holds off (ticks every 200 ms) until the wait is over, then fetches its copy.
        await node.Stdout.WaitForAsync(line => line == "9:regroup.bin:100", Wait);
        Assert.True(DateTime.UtcNow - started >= regroup - TimeSpan.FromMilliseconds(300), $"fetched after {DateTime.UtcNow - started}, before the {regroup} wait was over");
        Assert.Single(engine.Sessions);
        Assert.Equal(["beta"], store.LoadMembers());
    }

    [Fact]
    public async Task A_member_with_no_member_remembered_fetches_at_once_and_never_remembers_itself()
    {
        using var temp = new TempFolder();
        var store = new CatalogStore(Path.Combine(temp.Path, "state.db"), null);
        var engine = new FakeTorrentEngine();
        await using var node = await StartMemberAsync("alpha", engine, store, TimeSpan.FromMinutes(5));
        await JoinSelfAsync(node.System);
        var torrent = TestTorrents.Make("fresh.bin");
        await PutAsync(node.System, new CatalogEntry(4, torrent.InfoHash.ToHex(), "fresh.bin", torrent.TotalLength, 2, "beta", null, ReplicaGoal.Running, 1), torrent);

        await node.Stdout.WaitForAsync(line => line == "4:fresh.bin:100", Wait);
        Assert.Empty(store.LoadMembers()); // only itself is up: nothing to remember
    }

    [Fact]
    public async Task A_torrent_removed_from_the_catalog_is_dropped_and_its_cluster_copy_deleted_but_the_folder_kept()
    {
        var engine = new FakeTorrentEngine();
        await using var node = await StartMemberAsync("alpha", engine);
        await JoinSelfAsync(node.System);
        var torrent = TestTorrents.Make("dropped.bin");
        var hash = torrent.InfoHash.ToHex();
        var entry = new CatalogEntry(3, hash, "dropped.bin", torrent.TotalLength, 2, "alpha", null, ReplicaGoal.Running, 1);
        await PutAsync(node.System, entry, torrent);
        await node.Stdout.WaitForAsync(line => line == "3:dropped.bin:100", Wait);
        var data = Path.Combine(node.Settings.DownloadDirectory, "dropped.bin");
        Directory.CreateDirectory(node.Settings.DownloadDirectory);
        await File.WriteAllBytesAsync(data, new byte[torrent.TotalLength]);

        await PutAsync(node.System, entry with { Goal = ReplicaGoal.Removed, Version = 2 });

        await EventuallyAsync(() => Task.FromResult(engine.Removed.Contains(torrent.InfoHash) && !File.Exists(data) ? "gone" : null), "the session removed and the copy deleted");
        Assert.True(Directory.Exists(node.Settings.DownloadDirectory));
        var listed = await node.Registry.Get<PatronsActor>().Ask<CopiesListed>(ListCopies.Instance, Wait);
        Assert.Empty(listed.Entries);
    }

    [Fact]
    public async Task The_users_own_file_is_never_deleted_when_the_cluster_removes_its_torrent()
    {
        var engine = new FakeTorrentEngine();
        await using var node = await StartMemberAsync("alpha", engine);
        await JoinSelfAsync(node.System);
        var torrent = TestTorrents.Make("own.bin");
        var hash = torrent.InfoHash.ToHex();
        var folder = Path.Combine(node.Root, "user");
        Directory.CreateDirectory(folder);
        var data = Path.Combine(folder, "own.bin");
        await File.WriteAllBytesAsync(data, new byte[torrent.TotalLength]);
        node.Registry.Get<PatronsActor>().Tell(new Contracts.Torrents.TorrentCommands.OpenTorrent(
            "file:" + data, torrent, folder, DataVerified: true, Contracts.RequestId.None, SeededInPlace: true, new Contracts.TorrentId(4)));
        await node.Stdout.WaitForAsync(line => line == "4:own.bin:100", Wait);

        await PutAsync(node.System, new CatalogEntry(4, hash, "own.bin", torrent.TotalLength, 2, "alpha", "alpha", ReplicaGoal.Removed, 5), torrent);

        await EventuallyAsync(() => Task.FromResult(engine.Removed.Contains(torrent.InfoHash) ? "removed" : null), "the session removed");
        Assert.True(File.Exists(data));
    }
}
