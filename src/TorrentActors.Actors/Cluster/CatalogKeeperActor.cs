using System.Collections.Immutable;
using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;

namespace TorrentActors.Actors.Cluster;

/// <summary>The key of the catalog keeper's proxy in the actor registry (the singleton lives on the oldest member).</summary>
public sealed class CatalogKeeper
{
    private CatalogKeeper()
    {
    }
}

/// <summary>
/// The cluster singleton that alone writes <see cref="ClusterKeys.Catalog"/>. It starts by reading the catalog from a
/// majority (falling back to its own copy, with a warning), so a keeper that took over from a dead one continues its
/// ID sequence; it keeps its view fresh from the catalog's changes. One command at a time, decided by
/// <see cref="CatalogBook.Decide"/>: the metainfo is written first, then the entry, each to a majority; a write no
/// majority confirmed in time stands locally and gossips (a warning, and the command is still answered).
/// </summary>
public sealed class CatalogKeeperActor : ReceiveActor, IWithStash
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ClusterSettings _settings;
    private readonly IActorRef _replicator;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private CatalogBook _book = CatalogBook.Empty;
    private ImmutableDictionary<string, MemberHoldings> _holdings = ImmutableDictionary<string, MemberHoldings>.Empty;

    public CatalogKeeperActor(ClusterSettings settings, IActorRef replicator)
    {
        _settings = settings;
        _replicator = replicator;
        Loading();
    }

    public IStash Stash { get; set; } = null!;

    public static Props Props(ClusterSettings settings, IActorRef replicator) =>
        Akka.Actor.Props.Create(() => new CatalogKeeperActor(settings, replicator));

    protected override void PreStart()
    {
        _log.Info("The catalog keeper starts on {0}; reading the catalog from a majority", _cluster.SelfAddress);
        _replicator.Tell(Dsl.Subscribe(ClusterKeys.Catalog, Self));
        _replicator.Tell(Dsl.Subscribe(ClusterKeys.Holdings, Self));
        _replicator.Tell(Dsl.Get(ClusterKeys.Catalog, new ReadMajority(_settings.ReadTimeout)));
    }

    protected override void PostStop()
    {
        _replicator.Tell(Dsl.Unsubscribe(ClusterKeys.Catalog, Self));
        _replicator.Tell(Dsl.Unsubscribe(ClusterKeys.Holdings, Self));
    }

    private void Loading()
    {
        Receive<GetSuccess>(success => success.Key.Equals(ClusterKeys.Catalog), success => Loaded(success.Get(ClusterKeys.Catalog)));
        Receive<NotFound>(notFound => notFound.Key.Equals(ClusterKeys.Catalog), _ => Loaded(null));
        Receive<GetFailure>(failure => failure.Key.Equals(ClusterKeys.Catalog), _ =>
        {
            _log.Warning("No majority answered with the catalog within {0}; continuing from this member's copy", _settings.ReadTimeout);
            _replicator.Tell(Dsl.Get(ClusterKeys.Catalog, ReadLocal.Instance));
        });
        ReceiveChanges();
        ReceiveAny(_ => Stash.Stash());
    }

    private void Loaded(LWWDictionary<string, CatalogEntry>? catalog)
    {
        if (catalog is not null)
        {
            _book = _book.Merge(catalog.Entries);
        }

        _log.Info("The catalog keeper holds {0} entries; the highest ID is {1}, the highest version {2}", _book.Entries.Count, _book.HighestId, _book.HighestVersion);
        Become(Ready);
        Stash.UnstashAll();
    }

    private void Ready()
    {
        ReceiveChanges();
        Receive<CatalogCommands.ICatalogCommand>(command =>
        {
            var decision = CatalogBook.Decide(_book, command, StillHeld());
            if (decision.Refusal is { } refusal)
            {
                _log.Info("Catalog: refused {0}: {1}", command.Command, refusal);
                Sender.Tell(new CatalogReplies.Failed(refusal));
                return;
            }

            if (decision.Write is not { } entry)
            {
                Sender.Tell(new CatalogReplies.Succeeded(decision.Answer!, Created: false));
                return;
            }

            var write = new PendingWrite(Sender, entry, command is CatalogCommands.AddTorrent, _book);
            _book = _book.With(entry);
            Become(() => Writing(write));
            if (command is CatalogCommands.AddTorrent add)
            {
                var metainfo = new TorrentMetainfo(entry.InfoHash, [.. add.TorrentBytes]);
                _replicator.Tell(Dsl.Update(
                    ClusterKeys.Metainfo(entry.InfoHash),
                    new LWWRegister<TorrentMetainfo>(_cluster.SelfUniqueAddress, metainfo),
                    new WriteMajority(_settings.WriteTimeout),
                    write,
                    register => register.WithValue(_cluster.SelfUniqueAddress, metainfo)));
            }
            else
            {
                WriteEntry(write);
            }
        });
    }

    private void Writing(PendingWrite write)
    {
        ReceiveChanges();
        Receive<IUpdateResponse>(response => ReferenceEquals(response.Request, write), response =>
        {
            var isMetainfo = !response.Key.Equals(ClusterKeys.Catalog);
            switch (response)
            {
                case UpdateSuccess:
                    break;
                case UpdateTimeout:
                    _log.Warning(
                        "Catalog: no majority confirmed the {0} of torrent {1} within {2}; it stands on this member and gossips",
                        isMetainfo ? "metainfo" : "entry",
                        write.Entry.Id,
                        _settings.WriteTimeout);
                    break;
                default:
                    _log.Error("Catalog: writing the {0} of torrent {1} failed: {2}", isMetainfo ? "metainfo" : "entry", write.Entry.Id, response);
                    _book = write.Before.Merge(_book.Entries.Where(pair => pair.Key != write.Entry.InfoHash));
                    write.Sender.Tell(new CatalogReplies.Failed("the catalog could not be written"));
                    Done();
                    return;
            }

            if (isMetainfo)
            {
                WriteEntry(write);
                return;
            }

            _log.Info("Catalog: torrent {0} {1} ({2}) is {3}, version {4}", write.Entry.Id, write.Entry.Name, write.Entry.InfoHash, write.Entry.Goal, write.Entry.Version);
            write.Sender.Tell(new CatalogReplies.Succeeded(write.Entry, write.Created));
            Done();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void WriteEntry(PendingWrite write)
    {
        var entry = write.Entry;
        _replicator.Tell(Dsl.Update(
            ClusterKeys.Catalog,
            LWWDictionary<string, CatalogEntry>.Empty,
            new WriteMajority(_settings.WriteTimeout),
            write,
            catalog => catalog.SetItem(_cluster, entry.InfoHash, entry, (_, value) => value.Version)));
    }

    private void Done()
    {
        Become(Ready);
        Stash.UnstashAll();
    }

    private void ReceiveChanges()
    {
        Receive<Changed>(changed => changed.Key.Equals(ClusterKeys.Catalog), changed =>
            _book = _book.Merge(changed.Get(ClusterKeys.Catalog).Entries));
        Receive<Changed>(changed => changed.Key.Equals(ClusterKeys.Holdings), changed =>
            _holdings = changed.Get(ClusterKeys.Holdings).Entries.ToImmutableDictionary());
    }

    /// <summary>The infohashes that a member of the cluster (up now) still holds a copy of.</summary>
    private HashSet<string> StillHeld()
    {
        var members = _cluster.State.Members
            .Where(member => member.Status == Akka.Cluster.MemberStatus.Up)
            .SelectMany(member => member.Roles)
            .Where(role => role.StartsWith(ClusterKeys.NodeRolePrefix, StringComparison.Ordinal))
            .Select(role => role[ClusterKeys.NodeRolePrefix.Length..])
            .ToHashSet(StringComparer.Ordinal);
        return _holdings.Values
            .Where(holdings => members.Contains(holdings.Node))
            .SelectMany(holdings => holdings.Torrents.Keys)
            .Select(hash => hash.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>The write in progress: who waits for it, and the view before it (restored if it fails).</summary>
    private sealed record PendingWrite(IActorRef Sender, CatalogEntry Entry, bool Created, CatalogBook Before);
}
