using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Pattern;
using Akka.Persistence;
using TorrentActors.Actors.Registry;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Output;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Patrons;

/// <summary>Ask the patrons to stop every session (at shutdown); the reply is <see cref="AllSessionsStopped"/>.</summary>
public sealed record StopAllSessions
{
    public static readonly StopAllSessions Instance = new();

    private StopAllSessions()
    {
    }
}

public sealed record AllSessionsStopped(int Count);

/// <summary>Ask the patrons for the torrents of the registry; the reply is <see cref="CopiesListed"/>.</summary>
public sealed record ListCopies
{
    public static readonly ListCopies Instance = new();

    private ListCopies()
    {
    }
}

/// <summary>Every torrent of the registry, and the IDs whose removal is under way.</summary>
public sealed record CopiesListed(ImmutableArray<RegistryEntry> Entries, ImmutableHashSet<int> Removing);

/// <summary>
/// The cluster no longer wants this node's copy (or the torrent itself): forget the torrent for good, as
/// <c>remove:ID</c> does, and delete its data if it is a copy downloaded for the cluster (never the user's own file).
/// </summary>
public sealed record DropCopy(TorrentId Id, string Reason);

/// <summary>
/// Supervises one patron per torrent (named by infohash hex, each behind a back-off supervisor) and keeps the node's
/// torrent registry: an event-sourced persistent actor whose events (added, stopped, started, removed) are written to
/// the journal before the patrons act on them, so what the node answered survives a crash. The decisions are
/// <see cref="RegistryState.Decide"/> and <see cref="RegistryState.Apply"/>; this actor persists, routes and
/// supervises. After recovery every registered torrent gets its patron back under its ID, running or stopped.
/// </summary>
public sealed class PatronsActor : ReceivePersistentActor
{
    public const string RegistryPersistenceId = "torrent-registry";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<InfoHash, Entry> _byHash = [];
    private readonly Dictionary<TorrentId, InfoHash> _byId = [];
    private readonly NodeActorSettings _settings;
    private readonly ITorrentEngine _engine;
    private readonly IActorRef _monitor;
    private readonly ResumeStore _resume;
    private RegistryState _registry = RegistryState.Empty;

    public PatronsActor(NodeActorSettings settings, ITorrentEngine engine, IActorRef monitor, IActorRef stdout, ResumeStore? resume = null)
    {
        _settings = settings;
        _engine = engine;
        _monitor = monitor;
        _resume = resume ?? ResumeStore.None;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is RegistrySnapshot snapshot)
            {
                _registry = RegistryState.FromSnapshot(snapshot);
            }
        });
        Recover<RegistryEvents.IRegistryEvent>(e => _registry = RegistryState.Apply(_registry, e));
        Recover<RecoveryCompleted>(_ => Restore());

        Command<TorrentCommands.OpenTorrent>(open =>
        {
            if (_byHash.TryGetValue(open.Torrent.InfoHash, out var existing) && existing.Removing)
            {
                monitor.Tell(new NodeOutputs.Error(open.Command, $"still being removed (was {existing.Id.Value}); try again", open.Request));
                return;
            }

            var add = new RegistryCommands.Add(
                open.Torrent.Name,
                open.Torrent.InfoHash.ToHex(),
                [.. open.Torrent.EncodedBytes.Span],
                open.DataDirectory,
                open.SeededInPlace,
                open.Command,
                open.AssignedId?.Value,
                open.ClusterCopy);
            var decision = RegistryState.Decide(_registry, add);
            if (decision.Refusal is { } refusal)
            {
                monitor.Tell(new NodeOutputs.Error(open.Command, refusal, open.Request));
                return;
            }

            PersistAll(decision.Events, e =>
            {
                Applied(e);
                if (e is RegistryEvents.TorrentAdded added)
                {
                    var id = new TorrentId(added.Id);
                    Spawn(id, open, startSession: true);
                    Context.System.EventStream.Publish(new TorrentAccepted(id, open.Command, open.Torrent.Name, open.Torrent.InfoHash, open.Request));
                }
            });
        });
        Command<InstructionCommands.StopTorrent>(stop => Route(stop.Id, new RegistryCommands.Stop(stop.Id.Value), stdout, stop));
        Command<InstructionCommands.StartTorrent>(start => Route(start.Id, new RegistryCommands.Start(start.Id.Value), stdout, start));
        Command<InstructionCommands.RemoveTorrent>(remove => Route(remove.Id, new RegistryCommands.Remove(remove.Id.Value), stdout, remove));
        Command<ListCopies>(_ => Sender.Tell(new CopiesListed(
            [.. _registry.Entries.Values],
            [.. _byHash.Values.Where(e => e.Removing).Select(e => e.Id.Value)])));
        Command<DropCopy>(drop =>
        {
            _log.Info("Dropping torrent {0}: {1}", drop.Id, drop.Reason);
            var remove = new InstructionCommands.RemoveTorrent($"cluster: {drop.Reason}", drop.Id, RequestId.None);
            Route(drop.Id, new RegistryCommands.Remove(drop.Id.Value), _monitor, remove);
        });
        Command<PatronMessages.PatronRunning>(running =>
        {
            if (_byHash.TryGetValue(running.InfoHash, out var entry))
            {
                entry.Failures = 0;
            }
        });
        Command<PatronMessages.PatronFailed>(failed =>
        {
            if (!_byHash.TryGetValue(failed.InfoHash, out var entry))
            {
                return;
            }

            entry.Failures++;
            if (entry.Failures > settings.MaxRestarts && !entry.Removing)
            {
                entry.Removing = true;
                monitor.Tell(new NodeOutputs.Error(entry.Command, $"gave up after {entry.Failures} failures: {failed.Reason}", entry.Request));
                engine.RemoveAsync(failed.InfoHash).PipeTo(Self, success: () => PatronMessages.SessionRemoved.Instance, failure: ex => new Status.Failure(ex));
                Context.Stop(entry.Supervisor);
            }
        });
        Command<Terminated>(terminated =>
        {
            var found = _byHash.FirstOrDefault(pair => pair.Value.Supervisor.Equals(terminated.ActorRef));
            if (found.Value is null)
            {
                return;
            }

            _byHash.Remove(found.Key);
            _byId.Remove(found.Value.Id);
            monitor.Tell(new TorrentEvents.TorrentForgotten(found.Value.Id));
            Context.System.EventStream.Publish(new TorrentEvents.TorrentForgotten(found.Value.Id));
            _log.Info("Torrent {0} is gone", found.Value.Id);
        });
        Command<PatronMessages.SessionRemoved>(_ => { });
        Command<Status.Failure>(failure => _log.Warning(failure.Cause, "Removing a session failed"));
        Command<SaveSnapshotSuccess>(saved => _log.Debug("Registry snapshot at event {0}", saved.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause, "Saving a registry snapshot failed; the journal still holds every event"));
        Command<StopAllSessions>(_ =>
        {
            var supervisors = _byHash.Values.Select(e => e.Supervisor).ToList();
            var timeout = settings.StopTimeout;
            Task.WhenAll(supervisors.Select(s => s.Ask<PatronMessages.SessionStopped>(PatronMessages.StopSession.Instance, timeout)))
                .PipeTo(Sender, success: stopped => new AllSessionsStopped(stopped.Length));
        });
    }

    public override string PersistenceId => RegistryPersistenceId;

    public static Props Props(NodeActorSettings settings, ITorrentEngine engine, IActorRef monitor, IActorRef stdout, ResumeStore? resume = null) =>
        Akka.Actor.Props.Create(() => new PatronsActor(settings, engine, monitor, stdout, resume));

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(
            reason,
            "The torrent registry in {0} cannot be read: {1}. Move the file away to start with an empty registry; the node does not overwrite it",
            _settings.StateDatabasePath ?? "memory",
            ErrorText.Describe(reason));
        Context.System.EventStream.Publish(new RegistryUnreadable(_settings.StateDatabasePath, ErrorText.Describe(reason)));
        base.OnRecoveryFailure(reason, message);
    }

    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "Writing the torrent registry to {0} failed: {1}", _settings.StateDatabasePath ?? "memory", ErrorText.Describe(cause));
        Context.System.EventStream.Publish(new RegistryUnreadable(_settings.StateDatabasePath, "writing failed: " + ErrorText.Describe(cause)));
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <summary>After recovery: a patron for every registered torrent, under its ID, started unless it was stopped.</summary>
    private void Restore()
    {
        _log.Info("The torrent registry holds {0} torrents; the next ID is {1}", _registry.Entries.Count, _registry.NextId);
        foreach (var entry in _registry.Entries.Values)
        {
            Torrent torrent;
            try
            {
                torrent = Torrent.Parse(entry.TorrentBytes.AsMemory());
            }
            catch (Exception ex) when (ex is BencodeException or MetainfoException)
            {
                _log.Error(ex, "Torrent {0} ({1}) in the registry is not a valid torrent; skipped", entry.Id, entry.Name);
                _monitor.Tell(new NodeOutputs.Error(entry.Command, $"the registry's copy of torrent {entry.Id} is not a valid torrent: {ex.Message}", RequestId.None));
                continue;
            }

            // Resume data plugs in here: the data folder and whether the data is the user's own (seeded in place)
            // come from the registry; until resume data exists, the engine checks the data again (DataVerified: false).
            var open = new TorrentCommands.OpenTorrent(
                entry.Command, torrent, entry.DataDirectory, DataVerified: false, RequestId.None, entry.SeededInPlace, new TorrentId(entry.Id), entry.ClusterCopy);
            Spawn(new TorrentId(entry.Id), open, startSession: !entry.Stopped);
        }
    }

    private void Applied(RegistryEvents.IRegistryEvent e)
    {
        _registry = RegistryState.Apply(_registry, e);
        if (_settings.SnapshotEvery > 0 && LastSequenceNr % _settings.SnapshotEvery == 0)
        {
            SaveSnapshot(_registry.ToSnapshot());
        }
    }

    private void Spawn(TorrentId id, TorrentCommands.OpenTorrent open, bool startSession)
    {
        var patron = PatronActor.Props(id, open, _engine, Self, _monitor, errors: _monitor, startSession, _resume);
        var options = Backoff.OnFailure(patron, "patron", _settings.RestartMinBackoff, _settings.RestartMaxBackoff, 0.2, -1)
            .WithSupervisorStrategy(new OneForOneStrategy(Decider.From(ex => ErrorText.IsPermanent(ex) ? Directive.Stop : Directive.Restart)));
        var child = Context.ActorOf(BackoffSupervisor.Props(options), open.Torrent.InfoHash.ToHex());
        Context.Watch(child);
        _byHash[open.Torrent.InfoHash] = new Entry(id, open.Command, open.Request, child);
        _byId[id] = open.Torrent.InfoHash;
        _log.Info("Torrent {0} is {1} ({2}){3}", id, open.Torrent.Name, open.Torrent.InfoHash, startSession ? "" : ", stopped");
    }

    /// <summary>
    /// Decides the command against the registry, persists its events, then hands the stop, start or remove to the
    /// torrent's patron (if it still has one: a torrent whose patron gave up stays registered until removed) and says
    /// so on the event stream; an error if the registry refuses it.
    /// </summary>
    private void Route(TorrentId id, RegistryCommands.IRegistryCommand registryCommand, IActorRef stdout, InstructionCommands.IInstruction message)
    {
        var command = message.Command;
        var live = _byId.TryGetValue(id, out var hash) && _byHash.TryGetValue(hash, out var found) ? found : null;
        if (live is { Removing: true })
        {
            stdout.Tell(new NodeOutputs.Error(command, $"no torrent with ID {id.Value}", message.Request));
            return;
        }

        var decision = RegistryState.Decide(_registry, registryCommand);
        if (decision.Refusal is { } refusal)
        {
            stdout.Tell(new NodeOutputs.Error(command, refusal, message.Request));
            return;
        }

        if (message is InstructionCommands.RemoveTorrent && live is not null)
        {
            live.Removing = true;
        }

        if (decision.Events.IsEmpty)
        {
            Routed(id, live, message, Sender);
            return;
        }

        var sender = Sender;
        var last = decision.Events[^1];
        PersistAll(decision.Events, e =>
        {
            Applied(e);
            if (ReferenceEquals(e, last))
            {
                Routed(id, live, message, sender);
            }
        });
    }

    private void Routed(TorrentId id, Entry? live, InstructionCommands.IInstruction message, IActorRef sender)
    {
        live?.Supervisor.Tell(message, sender);
        Context.System.EventStream.Publish(new TorrentEvents.CommandRouted(id, message.Command, message.Request));
    }

    private sealed class Entry(TorrentId id, string command, RequestId request, IActorRef supervisor)
    {
        public TorrentId Id { get; } = id;

        /// <summary>The command and request that brought the torrent: a later failure of it names them.</summary>
        public string Command { get; } = command;

        public RequestId Request { get; } = request;

        public IActorRef Supervisor { get; } = supervisor;

        public int Failures { get; set; }

        public bool Removing { get; set; }
    }
}

/// <summary>Published when the registry cannot be read or written: the node cannot keep its promise to remember.</summary>
public sealed record RegistryUnreadable(string? DatabasePath, string Reason);

public static class PatronsActorHosting
{
    /// <summary>Adds the patrons supervisor and a shutdown task that stops every session before the actors stop.</summary>
    public static AkkaConfigurationBuilder AddPatronsActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var settings = resolver.GetService<NodeActorSettings>();
            var engine = resolver.GetService<ITorrentEngine>();
            var resume = resolver.GetService<ResumeStore>() ?? ResumeStore.None;
            var patrons = system.ActorOf(
                PatronsActor.Props(settings, engine, registry.Get<MonitorActor>(), registry.Get<StdoutActor>(), resume),
                "patrons");
            registry.Register<PatronsActor>(patrons);
            var gone = patrons.WatchAsync();

            var log = Logging.GetLogger(system, typeof(PatronsActor));
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-torrent-sessions", async () =>
            {
                if (gone.IsCompleted)
                {
                    // The registry could not be read or written and stopped: it has no sessions to stop.
                    return Akka.Done.Instance;
                }

                try
                {
                    var stopped = await patrons.Ask<AllSessionsStopped>(StopAllSessions.Instance, settings.StopTimeout + TimeSpan.FromSeconds(1));
                    log.Info("Stopped {0} torrent sessions", stopped.Count);
                }
                catch (Exception ex)
                {
                    log.Warning(ex, "Not every torrent session stopped in time");
                }

                return Akka.Done.Instance;
            });
        });
}
