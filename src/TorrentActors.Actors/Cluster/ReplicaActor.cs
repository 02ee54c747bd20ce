using System.Collections.Immutable;
using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Akka.Hosting;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Patrons;
using TorrentActors.Actors.Registry;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using AkkaCluster = Akka.Cluster.Cluster;

namespace TorrentActors.Actors.Cluster;

/// <summary>Something that happened to a replica, for <c>watch</c> and the log: placed, complete, dropped, lost, healed.</summary>
public sealed record ReplicaEvent(int Id, string Name, string Kind, string Node, string Detail);

/// <summary>
/// Ask a member that is leaving to hand its torrents off: it leaves placement, keeps serving, and answers
/// <see cref="HandedOff"/> once the other members hold everything it has complete at its target.
/// </summary>
public sealed record HandOff
{
    public static readonly HandOff Instance = new();

    private HandOff()
    {
    }
}

public sealed record HandedOff
{
    public static readonly HandedOff Instance = new();

    private HandedOff()
    {
    }
}

/// <summary>The monitor's copy of how the cluster stands with every torrent (sent when it changes).</summary>
public sealed record ClusterStatus(ImmutableArray<ReplicaView> Views);

/// <summary>
/// One per member: makes this node hold what placement gives it. Once a second it reads the registry's torrents and
/// their progress, publishes them with its peer endpoint as its entry of <see cref="ClusterKeys.Holdings"/>, and carries
/// out <see cref="ReplicaPlan.Decide"/> against the catalog and the members that are up: a download of the torrents it
/// now holds (into the download folder, under the catalog's ID), a drop of the cluster copies it no longer holds once
/// their holders are complete, the catalog's stops and starts. Every local session of a cluster torrent is given the peer
/// endpoints of the other members that have it, so copies move over BitTorrent between members whatever tracker is up.
/// It remembers the members it has been up with (in the state database); after a start it fetches nothing until they
/// are up again or <see cref="ReplicaSettings.RegroupTimeout"/> has passed (<see cref="ReplicaPlan.Missing"/>).
/// </summary>
public sealed class ReplicaActor : ReceiveActor, IWithTimers
{
    /// <summary>How long an action waits to show in the registry before it may be tried again (another action on the same torrent need not wait).</summary>
    private static readonly TimeSpan PendingFor = TimeSpan.FromSeconds(30);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly AkkaCluster _cluster = AkkaCluster.Get(Context.System);
    private readonly IActorRef _replicator = DistributedData.Get(Context.System).Replicator;
    private readonly string _self;
    private readonly ReplicaSettings _settings;
    private readonly ITorrentEngine _engine;
    private readonly IActorRef _patrons;
    private readonly IActorRef _monitor;
    private readonly CatalogStore _store;
    private readonly HashSet<string> _remembered = new(StringComparer.Ordinal);
    private readonly Dictionary<Address, string> _up = [];
    private readonly Dictionary<string, (ReplicaAction Action, DateTime Until)> _pending = [];
    private readonly Dictionary<string, ImmutableHashSet<IPEndPoint>> _peersGiven = [];
    private readonly Dictionary<string, bool> _atTarget = [];
    private readonly HashSet<string> _completeHere = [];
    private readonly List<IActorRef> _handOffWaiters = [];
    private bool _draining;
    private ImmutableDictionary<string, CatalogEntry> _catalog = ImmutableDictionary<string, CatalogEntry>.Empty;
    private ImmutableDictionary<string, MemberHoldings> _holdings = ImmutableDictionary<string, MemberHoldings>.Empty;
    private MemberHoldings? _published;
    private ImmutableArray<ReplicaView> _views = [];
    private bool _listing;
    private DateTime _regroupBy;
    private bool _regrouped;

    public ReplicaActor(string self, ReplicaSettings settings, ITorrentEngine engine, IActorRef patrons, IActorRef monitor, CatalogStore? store = null)
    {
        _store = store ?? CatalogStore.None;
        _self = self;
        _settings = settings;
        _engine = engine;
        _patrons = patrons;
        _monitor = monitor;

        Receive<ClusterEvent.CurrentClusterState>(state =>
        {
            foreach (var member in state.Members.Where(m => m.Status == MemberStatus.Up))
            {
                MemberIsUp(member);
            }
        });
        Receive<ClusterEvent.MemberUp>(up => MemberIsUp(up.Member));
        Receive<ClusterEvent.MemberLeft>(left => MemberIsGone(left.Member, "left"));
        Receive<ClusterEvent.MemberExited>(exited => MemberIsGone(exited.Member, "exited"));
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            MemberIsGone(removed.Member, "removed");
            if (removed.PreviousStatus == MemberStatus.Down)
            {
                Forget(removed.Member);
            }
        });
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<Changed>(changed =>
        {
            if (changed.Key.Equals(ClusterKeys.Catalog))
            {
                _catalog = changed.Get(ClusterKeys.Catalog).Entries.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);
            }
            else if (changed.Key.Equals(ClusterKeys.Holdings))
            {
                _holdings = changed.Get(ClusterKeys.Holdings).Entries.ToImmutableDictionary(StringComparer.Ordinal);
            }
        });
        Receive<Tick>(_ =>
        {
            if (!_listing)
            {
                _listing = true;
                _patrons.Ask<CopiesListed>(ListCopies.Instance, TimeSpan.FromSeconds(5))
                    .PipeTo(Self, failure: ex => new ListingFailed(ex));
            }
        });
        Receive<CopiesListed>(listed =>
        {
            _listing = false;
            Reconcile(listed);
        });
        Receive<ListingFailed>(failed =>
        {
            _listing = false;
            _log.Warning("Listing this node's torrents failed: {0}", failed.Cause.Message);
        });
        Receive<HandOff>(_ =>
        {
            if (!_draining)
            {
                _log.Info("Node {0} is leaving: handing its torrents off to the other members", _self);
            }

            _draining = true;
            _handOffWaiters.Add(Sender);
            Self.Tell(Tick.Instance);
        });
        Receive<MetainfoFound>(found => Fetch(found.Entry, found.Bytes));
        Receive<MetainfoMissing>(missing =>
        {
            _pending.Remove(missing.Entry.InfoHash);
            _log.Warning("Torrent {0} ({1}) is to be held here, but its metainfo has not reached this node yet: {2}", missing.Entry.Id, missing.Entry.Name, missing.Reason);
        });
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(failure => _log.Warning("Publishing this node's holdings failed: {0}", failure));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(string self, ReplicaSettings settings, ITorrentEngine engine, IActorRef patrons, IActorRef monitor, CatalogStore? store = null) =>
        Akka.Actor.Props.Create(() => new ReplicaActor(self, settings, engine, patrons, monitor, store));

    protected override void PreStart()
    {
        _remembered.UnionWith(_store.LoadMembers().Where(name => name != _self));
        _regroupBy = DateTime.UtcNow + _settings.RegroupTimeout;
        _regrouped = _remembered.Count == 0;
        if (!_regrouped)
        {
            _log.Info(
                "Node {0} waits up to {1} s for the members it was last up with ({2}) before it fetches any copy",
                _self,
                _settings.RegroupTimeout.TotalSeconds,
                string.Join(", ", _remembered.Order(StringComparer.Ordinal)));
        }

        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IMemberEvent));
        _replicator.Tell(Dsl.Subscribe(ClusterKeys.Catalog, Self));
        _replicator.Tell(Dsl.Subscribe(ClusterKeys.Holdings, Self));
        Timers.StartPeriodicTimer("tick", Tick.Instance, _settings.Interval);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void MemberIsUp(Member member)
    {
        if (NodeName(member) is { } name)
        {
            _up[member.Address] = name;
            _log.Info("Cluster member {0} at {1} is up", name, member.Address);
            if (name != _self && _remembered.Add(name))
            {
                _store.SaveMember(name);
            }
        }
    }

    /// <summary>A member downed (dead or cut off) is not waited for after a restart: the others healed its share.</summary>
    private void Forget(Member member)
    {
        if (NodeName(member) is { } name && name != _self && _remembered.Remove(name))
        {
            _store.ForgetMember(name);
        }
    }

    private void MemberIsGone(Member member, string how)
    {
        if (_up.Remove(member.Address, out var name))
        {
            _log.Info("Cluster member {0} at {1} {2}", name, member.Address, how);
        }
    }

    public static string? NodeName(Member member) =>
        member.Roles.FirstOrDefault(r => r.StartsWith(ClusterKeys.NodeRolePrefix, StringComparison.Ordinal)) is { } role
            ? role[ClusterKeys.NodeRolePrefix.Length..]
            : null;

    private void Reconcile(CopiesListed listed)
    {
        var removing = listed.Removing;
        var local = new Dictionary<string, LocalCopy>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in listed.Entries.Where(e => !removing.Contains(e.Id)))
        {
            local[entry.InfoHash] = Describe(entry);
        }

        var now = DateTime.UtcNow;
        foreach (var (hash, (action, until)) in _pending.ToList())
        {
            var settled = IsSettled(action, local);
            if (settled && action is ReplicaAction.Fetch fetch)
            {
                var sources = _holdings.Values.Where(h => h.Node != _self && _up.ContainsValue(h.Node) && h.Torrents.ContainsKey(hash.ToLowerInvariant())).Select(h => h.Node).Order(StringComparer.Ordinal).ToList();
                Event(fetch.Entry.Id, fetch.Entry.Name, "fetching", sources.Count == 0 ? "no member has a copy yet" : "from " + string.Join(", ", sources));
            }

            if (settled || until < now)
            {
                _pending.Remove(hash);
            }
        }

        Publish(local);
        var holdings = _holdings.SetItem(_self, _published!);
        var present = _up.Values.ToHashSet(StringComparer.Ordinal);
        var members = ReplicaPlan.PlacementMembers(present, holdings);
        if (_draining && _handOffWaiters.Count > 0 && ReplicaPlan.HandedOff(_self, _catalog.Values, members, holdings, local))
        {
            _log.Info("Node {0} has handed its torrents off", _self);
            _handOffWaiters.ForEach(waiter => waiter.Tell(HandedOff.Instance));
            _handOffWaiters.Clear();
        }

        var regrouping = Regrouping(present);
        foreach (var action in ReplicaPlan.Decide(_self, _catalog.Values, members, holdings, local))
        {
            if ((_pending.TryGetValue(action.InfoHash, out var pending) && pending.Action.GetType() == action.GetType()) || (regrouping && action is ReplicaAction.Fetch))
            {
                continue;
            }

            Carry(action, local);
        }

        GivePeers(local, present, holdings);
        Report(members, present, holdings, local);
    }

    /// <summary>True while this node, just started, still waits for members it was last up with.</summary>
    private bool Regrouping(HashSet<string> present)
    {
        if (_regrouped)
        {
            return false;
        }

        var missing = ReplicaPlan.Missing(_remembered, present, DateTime.UtcNow, _regroupBy);
        if (!missing.IsEmpty)
        {
            return true;
        }

        _regrouped = true;
        var late = _remembered.Where(m => !present.Contains(m)).Order(StringComparer.Ordinal).ToList();
        if (late.Count == 0)
        {
            _log.Info("Node {0} is up with every member it was last up with", _self);
        }
        else
        {
            _log.Info("Node {0} stops waiting for {1} after {2} s: placement runs over the members that are up", _self, string.Join(", ", late), _settings.RegroupTimeout.TotalSeconds);
        }

        return false;
    }

    /// <summary>The registry shows what <paramref name="action"/> was for.</summary>
    private static bool IsSettled(ReplicaAction action, Dictionary<string, LocalCopy> local)
    {
        local.TryGetValue(action.InfoHash, out var copy);
        return action switch
        {
            ReplicaAction.Fetch => copy is not null,
            ReplicaAction.Drop => copy is null,
            ReplicaAction.Stop => copy is null || copy.Stopped,
            ReplicaAction.Start => copy is null || !copy.Stopped,
            _ => true,
        };
    }

    private LocalCopy Describe(RegistryEntry entry)
    {
        var percent = 0;
        var complete = false;
        if (InfoHash.TryParseHex(entry.InfoHash, out var hash) && _engine.TryGet(hash, out var session))
        {
            var status = session.Status;
            percent = Math.Clamp(status.WholePercent, 0, 100);
            complete = status.Progress >= 1.0;
        }

        return new LocalCopy(entry.Id, entry.InfoHash, entry.SeededInPlace, entry.ClusterCopy, entry.Stopped, percent, complete);
    }

    /// <summary>This node's entry of the holdings: what it has, and where its peers reach it; written when it changes.</summary>
    private void Publish(Dictionary<string, LocalCopy> local)
    {
        var torrents = local.Values
            .Where(c => _catalog.ContainsKey(c.InfoHash) && !c.Stopped)
            .ToImmutableSortedDictionary(c => c.InfoHash.ToLowerInvariant(), c => new Holding(c.Percent, c.Complete, c.OwnData), StringComparer.Ordinal);
        var listen = _engine.ListenEndPoint;
        var host = listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any) ? _settings.PeerHost : listen.Address.ToString();
        var mine = new MemberHoldings(_self, host, listen.Port, torrents, _draining);
        if (_published is not null && _published.PeerHost == mine.PeerHost && _published.PeerPort == mine.PeerPort && _published.Draining == mine.Draining
            && _published.Torrents.Count == mine.Torrents.Count && !_published.Torrents.Except(mine.Torrents).Any())
        {
            return;
        }

        _published = mine;
        _replicator.Tell(Dsl.Update(
            ClusterKeys.Holdings,
            LWWDictionary<string, MemberHoldings>.Empty,
            WriteLocal.Instance,
            holdings => holdings.SetItem(_cluster, _self, mine)));
    }

    private void Carry(ReplicaAction action, Dictionary<string, LocalCopy> local)
    {
        _pending[action.InfoHash] = (action, DateTime.UtcNow + PendingFor);
        switch (action)
        {
            case ReplicaAction.Fetch fetch:
                var entry = fetch.Entry;
                _replicator.Ask<IGetResponse>(Dsl.Get(ClusterKeys.Metainfo(entry.InfoHash), ReadLocal.Instance), TimeSpan.FromSeconds(5))
                    .PipeTo(
                        Self,
                        success: response => response is GetSuccess found && found.Get(ClusterKeys.Metainfo(entry.InfoHash)).Value is { } metainfo
                            ? new MetainfoFound(entry, metainfo.Bytes)
                            : new MetainfoMissing(entry, response.GetType().Name),
                        failure: ex => new MetainfoMissing(entry, ex.Message));
                break;
            case ReplicaAction.Drop drop:
                var name = _catalog.TryGetValue(drop.InfoHash, out var dropped) ? dropped.Name : drop.InfoHash;
                Event(drop.Id, name, "dropped", drop.Reason);
                _completeHere.Remove(drop.InfoHash.ToLowerInvariant());
                _patrons.Tell(new DropCopy(new TorrentId(drop.Id), drop.Reason));
                break;
            case ReplicaAction.Stop stop:
                _patrons.Tell(new Contracts.Instructions.InstructionCommands.StopTorrent("cluster: stop", new TorrentId(stop.Id), RequestId.None));
                break;
            case ReplicaAction.Start start:
                _patrons.Tell(new Contracts.Instructions.InstructionCommands.StartTorrent("cluster: start", new TorrentId(start.Id), RequestId.None));
                break;
        }

        _ = local;
    }

    private void Fetch(CatalogEntry entry, byte[] bytes)
    {
        Torrent torrent;
        try
        {
            torrent = Torrent.Parse(bytes);
        }
        catch (Exception ex) when (ex is BencodeException or MetainfoException)
        {
            _log.Error(ex, "The cluster's metainfo of torrent {0} ({1}) is not a valid torrent", entry.Id, entry.Name);
            return;
        }

        if (!torrent.InfoHash.ToHex().Equals(entry.InfoHash, StringComparison.OrdinalIgnoreCase))
        {
            _log.Error("The cluster's metainfo of torrent {0} ({1}) has infohash {2}, not {3}", entry.Id, entry.Name, torrent.InfoHash.ToHex(), entry.InfoHash);
            return;
        }

        Event(entry.Id, entry.Name, "placed", $"fetching into {_settings.DownloadDirectory}");
        _patrons.Tell(new TorrentCommands.OpenTorrent(
            $"cluster: hold {entry.Name}",
            torrent,
            _settings.DownloadDirectory,
            DataVerified: false,
            RequestId.None,
            SeededInPlace: false,
            new TorrentId(entry.Id),
            ClusterCopy: true));
    }

    /// <summary>Each local session of a cluster torrent learns the peer endpoints of the other members that have it.</summary>
    private void GivePeers(Dictionary<string, LocalCopy> local, HashSet<string> members, ImmutableDictionary<string, MemberHoldings> holdings)
    {
        foreach (var copy in local.Values)
        {
            var hash = copy.InfoHash.ToLowerInvariant();
            if (!_catalog.ContainsKey(hash) || !InfoHash.TryParseHex(hash, out var infoHash) || !_engine.TryGet(infoHash, out var session))
            {
                continue;
            }

            var peers = holdings.Values
                .Where(h => h.Node != _self && members.Contains(h.Node) && h.Torrents.ContainsKey(hash) && h.PeerPort > 0)
                .Select(h => IPAddress.TryParse(h.PeerHost, out var address) ? new IPEndPoint(address, h.PeerPort) : null)
                .OfType<IPEndPoint>()
                .ToImmutableHashSet();
            if (peers.IsEmpty || (_peersGiven.TryGetValue(hash, out var given) && given.SetEquals(peers)))
            {
                continue;
            }

            _peersGiven[hash] = peers;
            session.AddPeers(peers);
        }
    }

    /// <summary>Tells the monitor how every torrent stands, and says when one falls below its target or is back.</summary>
    private void Report(HashSet<string> members, HashSet<string> present, ImmutableDictionary<string, MemberHoldings> holdings, Dictionary<string, LocalCopy> local)
    {
        var views = ReplicaPlan.Views(_catalog.Values, members, holdings, present);
        foreach (var view in views)
        {
            var hash = view.Entry.InfoHash.ToLowerInvariant();
            var was = _atTarget.TryGetValue(hash, out var known) ? known : (bool?)null;
            if (was == true && !view.AtTarget)
            {
                Event(view.Entry.Id, view.Entry.Name, "lost", $"{view.Complete} of {view.Target} complete copies");
            }
            else if (was == false && view.AtTarget)
            {
                Event(view.Entry.Id, view.Entry.Name, "healed", $"{view.Complete} complete copies on {string.Join(", ", view.Copies.Where(c => c.Value.Complete).Select(c => c.Key))}");
            }

            _atTarget[hash] = view.AtTarget;
            if (local.TryGetValue(hash, out var copy) && copy.ClusterCopy && copy.Complete && _completeHere.Add(hash))
            {
                Event(view.Entry.Id, view.Entry.Name, "complete", "the copy on this node is complete");
            }
        }

        if (!views.SequenceEqual(_views))
        {
            _views = views;
            _monitor.Tell(new ClusterStatus(views));
            Context.System.EventStream.Publish(new ClusterStatus(views));
        }
    }

    private void Event(int id, string name, string kind, string detail)
    {
        _log.Info("Replica {0} of torrent {1} ({2}) on {3}: {4}", kind, id, name, _self, detail);
        Context.System.EventStream.Publish(new ReplicaEvent(id, name, kind, _self, detail));
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();

        private Tick()
        {
        }
    }

    private sealed record ListingFailed(Exception Cause);

    private sealed record MetainfoFound(CatalogEntry Entry, byte[] Bytes);

    private sealed record MetainfoMissing(CatalogEntry Entry, string Reason);
}

/// <summary>Where a member puts the copies it holds for the cluster, the host its peers reach it on, and how often it looks.</summary>
public sealed record ReplicaSettings(string DownloadDirectory, string PeerHost, TimeSpan Interval)
{
    /// <summary>Once a second; the folders and host filled in from the node's settings when the actor starts.</summary>
    public static readonly ReplicaSettings Default = new("downloads", "127.0.0.1", TimeSpan.FromSeconds(1));

    /// <summary>How long a leaving member waits for the others to take its torrents.</summary>
    public TimeSpan HandOffTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>After a start, how long the member waits for the members it was last up with before it fetches copies.</summary>
    public TimeSpan RegroupTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

public static class ReplicaActorHosting
{
    /// <summary>
    /// The replica actor of a cluster member named <paramref name="nodeName"/>; add it after the node's actors (it talks
    /// to the patrons and the monitor) and with clustering and distributed data on.
    /// </summary>
    /// <remarks>
    /// At shutdown, before the sessions stop, the member hands its torrents off (bounded by
    /// <see cref="ReplicaSettings.HandOffTimeout"/>), so a member that leaves gracefully never takes a torrent below its
    /// target; a kill gives no such chance, and the others heal instead.
    /// </remarks>
    /// <param name="store">Where the member remembers the members it has been up with; none: it remembers nothing.</param>
    public static AkkaConfigurationBuilder AddReplicaActor(
        this AkkaConfigurationBuilder builder,
        string nodeName,
        ReplicaSettings? settings = null,
        TimeSpan? regroupTimeout = null,
        Func<ActorSystem, CatalogStore>? store = null)
    {
        var handOff = (settings ?? ReplicaSettings.Default).HandOffTimeout;
        return builder
            .AddHocon(
                $"akka.coordinated-shutdown.phases.before-service-unbind.timeout = {(int)(handOff.TotalSeconds + 5)}s",
                HoconAddMode.Prepend)
            .WithActors((system, registry, resolver) =>
            {
                // By default the copies go where any download goes, and peers reach the member on its cluster host.
                var resolved = settings ?? ReplicaSettings.Default with
                {
                    DownloadDirectory = resolver.GetService<NodeActorSettings>().DownloadDirectory,
                    PeerHost = AkkaCluster.Get(system).SelfAddress.Host ?? "127.0.0.1",
                };
                resolved = resolved with { RegroupTimeout = regroupTimeout ?? resolved.RegroupTimeout };
                var props = ReplicaActor.Props(nodeName, resolved, resolver.GetService<ITorrentEngine>(), registry.Get<PatronsActor>(), registry.Get<MonitorActor>(), store?.Invoke(system));
                var replicas = system.ActorOf(props, "replicas");
                registry.Register<ReplicaActor>(replicas);
                var log = Logging.GetLogger(system, typeof(ReplicaActor));
                CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "hand-off-replicas", async () =>
                {
                    try
                    {
                        await replicas.Ask<HandedOff>(HandOff.Instance, handOff);
                    }
                    catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
                    {
                        log.Warning("Leaving before every torrent was handed off ({0} s); the other members will heal what is missing", handOff.TotalSeconds);
                    }

                    return Akka.Done.Instance;
                });
            });
    }
}
