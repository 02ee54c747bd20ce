using System.Collections.Immutable;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using TorrentActors.Actors.Registry;

namespace TorrentActors.Actors.Cluster;

/// <summary>
/// Keeps this member's copy of the catalog and the metainfo in its state database (<see cref="CatalogStore"/>). At start
/// it loads them and merges them into distributed data, each entry only where it is newer than what the member has (and
/// with its version as its clock, so across the cluster an old copy loses to a later change or removal); then it writes
/// every change that arrives, and the metainfo of every torrent it has not stored yet.
/// </summary>
public sealed class CatalogDurabilityActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly CatalogStore _store;
    private readonly IActorRef _replicator;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly Dictionary<string, long> _storedVersions = new(StringComparer.Ordinal);
    private readonly HashSet<string> _storedMetainfo = new(StringComparer.Ordinal);
    private readonly HashSet<string> _awaitedMetainfo = new(StringComparer.Ordinal);

    public CatalogDurabilityActor(CatalogStore store, IActorRef replicator)
    {
        _store = store;
        _replicator = replicator;
        Receive<Changed>(changed => changed.Key.Equals(ClusterKeys.Catalog), changed => Store(changed.Get(ClusterKeys.Catalog)));
        Receive<Changed>(changed => changed.Key is LWWRegisterKey<TorrentMetainfo>, changed =>
        {
            var key = (LWWRegisterKey<TorrentMetainfo>)changed.Key;
            var metainfo = changed.Get(key).Value;
            if (metainfo is null)
            {
                return;
            }

            _replicator.Tell(Dsl.Unsubscribe(key, Self));
            _awaitedMetainfo.Remove(metainfo.InfoHash);
            if (_storedMetainfo.Add(metainfo.InfoHash))
            {
                _store.SaveMetainfo(metainfo);
            }
        });
        Receive<IUpdateResponse>(response => response.IsSuccessful, _ => { });
        Receive<IUpdateResponse>(response => _log.Warning("Merging the stored catalog into the cluster's failed: {0}", response));
    }

    public static Props Props(CatalogStore store, IActorRef replicator) =>
        Akka.Actor.Props.Create(() => new CatalogDurabilityActor(store, replicator));

    protected override void PreStart()
    {
        var entries = _store.LoadEntries();
        var metainfo = _store.LoadMetainfo();
        foreach (var entry in entries)
        {
            _storedVersions[entry.InfoHash] = entry.Version;
        }

        foreach (var stored in metainfo)
        {
            _storedMetainfo.Add(stored.InfoHash);
            var register = new LWWRegister<TorrentMetainfo>(_cluster.SelfUniqueAddress, stored);
            _replicator.Tell(Dsl.Update(ClusterKeys.Metainfo(stored.InfoHash), register, WriteLocal.Instance, current => current));
        }

        if (entries.Count > 0)
        {
            _log.Info("Merging the stored catalog ({0} entries, {1} metainfo) into the cluster's", entries.Count, metainfo.Count);
            _replicator.Tell(Dsl.Update(
                ClusterKeys.Catalog,
                LWWDictionary<string, CatalogEntry>.Empty,
                WriteLocal.Instance,
                catalog => MergeStored(catalog, entries, _cluster)));
        }

        _replicator.Tell(Dsl.Subscribe(ClusterKeys.Catalog, Self));
    }

    protected override void PostStop()
    {
        _replicator.Tell(Dsl.Unsubscribe(ClusterKeys.Catalog, Self));
        foreach (var hash in _awaitedMetainfo)
        {
            _replicator.Tell(Dsl.Unsubscribe(ClusterKeys.Metainfo(hash), Self));
        }
    }

    /// <summary>
    /// <paramref name="catalog"/> with each stored entry set where the catalog lacks it or holds an older version; the
    /// entry's version is its clock. Pure: it runs inside the replicator.
    /// </summary>
    public static LWWDictionary<string, CatalogEntry> MergeStored(
        LWWDictionary<string, CatalogEntry> catalog, IEnumerable<CatalogEntry> stored, Akka.Cluster.Cluster node)
    {
        foreach (var entry in stored)
        {
            if (!catalog.TryGetValue(entry.InfoHash, out var held) || held.Version < entry.Version)
            {
                catalog = catalog.SetItem(node, entry.InfoHash, entry, (_, value) => value.Version);
            }
        }

        return catalog;
    }

    private void Store(LWWDictionary<string, CatalogEntry> catalog)
    {
        foreach (var (hash, entry) in catalog.Entries)
        {
            if (!_storedVersions.TryGetValue(hash, out var version) || version < entry.Version)
            {
                _storedVersions[hash] = entry.Version;
                _store.SaveEntry(entry);
                _log.Info("Catalog on this member: torrent {0} {1} ({2}) is {3}, version {4}", entry.Id, entry.Name, entry.InfoHash, entry.Goal, entry.Version);
            }

            if (!_storedMetainfo.Contains(hash) && _awaitedMetainfo.Add(hash))
            {
                _replicator.Tell(Dsl.Subscribe(ClusterKeys.Metainfo(hash), Self));
            }
        }
    }
}

/// <summary>The catalog as this member sees it, for tests and diagnostics.</summary>
public static class CatalogReading
{
    public static async Task<ImmutableDictionary<string, CatalogEntry>> ReadLocalAsync(ActorSystem system, CancellationToken cancellationToken = default)
    {
        var catalog = await DistributedData.Get(system).GetAsync(ClusterKeys.Catalog, ReadLocal.Instance, cancellationToken);
        return catalog is null ? ImmutableDictionary<string, CatalogEntry>.Empty : catalog.Entries.ToImmutableDictionary();
    }
}
