using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Pattern;
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
/// torrent registry. The registry is event-sourced: its events (added, stopped, started, removed) are written to the
/// journal by the child <see cref="RegistryJournalActor"/> before the patrons act on them, so what the node answered
/// survives a crash, and one command is written at a time (the next ones wait, as with Akka.Persistence's
/// <c>Persist</c>). The decisions are <see cref="RegistryState.Decide"/> and <see cref="RegistryState.Apply"/>; this
/// actor routes and supervises. Once the journal is read every registered torrent gets its patron back under its ID,
/// running or stopped. A write that fails (a full disk) fails its command with an error and nothing else: the journal
/// child is restarted after a back-off, the torrents keep running, and commands that must write are refused until the
/// journal is back.
/// </summary>
public sealed class PatronsActor : ReceiveActor, IWithUnboundedStash
{
    public const string JournalName = "registry";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<InfoHash, Entry> _byHash = [];
    private readonly Dictionary<TorrentId, InfoHash> _byId = [];
    private readonly NodeActorSettings _settings;
    private readonly ITorrentEngine _engine;
    private readonly IActorRef _monitor;
    private readonly IActorRef _stdout;
    private readonly ResumeStore _resume;
    private readonly bool _answers;
    private readonly IdReservations _ids = new();
    private IActorRef _journal = ActorRefs.Nobody;
    private RegistryState _registry = RegistryState.Empty;
    private bool _restored;
    private string? _journalDown;
    private PendingWrite? _pending;
    private long _lastTag;

    /// <param name="answers">
    /// Whether a stop, start or remove gets its answer line here (<c>ID:NAME:stopped</c>...): on a single node it does; on a
    /// cluster member the intake answers the commands it took, and the patrons only carry out the cluster's decisions.
    /// </param>
    public PatronsActor(NodeActorSettings settings, ITorrentEngine engine, IActorRef monitor, IActorRef stdout, ResumeStore? resume = null, bool answers = true)
    {
        _answers = answers;
        _settings = settings;
        _engine = engine;
        _monitor = monitor;
        _stdout = stdout;
        _resume = resume ?? ResumeStore.None;

        Receive<RegistryJournal.Recovered>(OnRecovered);
        Receive<RegistryJournal.Unreadable>(unreadable =>
        {
            Context.Stop(_journal);
            Context.System.EventStream.Publish(new RegistryUnreadable(_settings.StateDatabasePath, unreadable.Reason));
        });
        Receive<RegistryJournal.Written>(written =>
        {
            if (_pending is { } pending && pending.Tag == written.Tag)
            {
                _pending = null;
                foreach (var e in pending.Events)
                {
                    _registry = RegistryState.Apply(_registry, e);
                }

                pending.Done();
                Stash.UnstashAll();
            }
        });
        Receive<RegistryJournal.WriteFailed>(failed =>
        {
            _journalDown = failed.Reason;
            if (_pending is { } pending && pending.Tag == failed.Tag)
            {
                _pending = null;
                pending.Failed(failed.Reason);
                Stash.UnstashAll();
            }
        });
        // Taken at once, even while the journal is read: the command's error may come before the registry is restored.
        Receive<ReserveId>(reserve => _ids.Reserve(reserve.Request, DateTime.UtcNow));
        Receive<NodeOutputs.Error>(error => _ids.Release(error.Request));
        Receive<TorrentCommands.OpenTorrent>(open => WhenWritable(() => Open(open)));
        Receive<InstructionCommands.StopTorrent>(stop => WhenWritable(() => Route(stop.Id, new RegistryCommands.Stop(stop.Id.Value), stop)));
        Receive<InstructionCommands.StartTorrent>(start => WhenWritable(() => Route(start.Id, new RegistryCommands.Start(start.Id.Value), start)));
        Receive<InstructionCommands.RemoveTorrent>(remove => WhenWritable(() => Route(remove.Id, new RegistryCommands.Remove(remove.Id.Value), remove)));
        Receive<ListCopies>(_ =>
        {
            // Before the journal is read the registry looks empty: a cluster member would fetch what it already holds.
            if (!_restored)
            {
                Stash.Stash();
                return;
            }

            Sender.Tell(new CopiesListed(
                [.. _registry.Entries.Values],
                [.. _byHash.Values.Where(e => e.Removing).Select(e => e.Id.Value)]));
        });
        Receive<DropCopy>(drop => WhenWritable(() =>
        {
            _log.Info("Dropping torrent {0}: {1}", drop.Id, drop.Reason);
            var remove = new InstructionCommands.RemoveTorrent($"cluster: {drop.Reason}", drop.Id, RequestId.None);
            Route(drop.Id, new RegistryCommands.Remove(drop.Id.Value), remove);
        }));
        Receive<PatronMessages.PatronRunning>(running =>
        {
            if (_byHash.TryGetValue(running.InfoHash, out var entry))
            {
                entry.Failures = 0;
            }
        });
        Receive<PatronMessages.PatronFailed>(failed =>
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
        Receive<Terminated>(terminated =>
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
        Receive<PatronMessages.SessionRemoved>(_ => { });
        Receive<Status.Failure>(failure => _log.Warning(failure.Cause, "Removing a session failed"));
        Receive<StopAllSessions>(_ =>
        {
            var supervisors = _byHash.Values.Select(e => e.Supervisor).ToList();
            var timeout = settings.StopTimeout;
            Task.WhenAll(supervisors.Select(s => s.Ask<PatronMessages.SessionStopped>(PatronMessages.StopSession.Instance, timeout)))
                .PipeTo(Sender, success: stopped => new AllSessionsStopped(stopped.Length));
        });
    }

    public IStash Stash { get; set; } = null!;

    public static Props Props(NodeActorSettings settings, ITorrentEngine engine, IActorRef monitor, IActorRef stdout, ResumeStore? resume = null, bool answers = true) =>
        Akka.Actor.Props.Create(() => new PatronsActor(settings, engine, monitor, stdout, resume, answers));

    /// <summary>The journal child behind a back-off supervisor that restarts it when it stops (after a failed write).</summary>
    protected override void PreStart()
    {
        // A command whose work failed (its error line) never uses the ID reserved for it.
        Context.System.EventStream.Subscribe(Self, typeof(NodeOutputs.Error));
        var options = Backoff.OnStop(RegistryJournalActor.Props(_settings, Self), "journal", _settings.RestartMinBackoff, _settings.RestartMaxBackoff, 0.2, -1);
        _journal = Context.ActorOf(BackoffSupervisor.Props(options), JournalName);
    }

    private void OnRecovered(RegistryJournal.Recovered recovered)
    {
        if (!_restored)
        {
            _restored = true;
            _registry = recovered.State;
            Restore();
            Stash.UnstashAll();
            return;
        }

        // Read again after a failed write: what failed was not written, so the journal holds what this actor holds.
        // Should a write have reached the disk after all, its ID is never given again.
        _registry = _registry with { NextId = Math.Max(_registry.NextId, recovered.State.NextId) };
        if (_journalDown is { } reason)
        {
            _log.Info("The torrent registry can be written again (after: {0})", reason);
        }

        _journalDown = null;
    }

    /// <summary>
    /// Runs a command that may write to the registry now, or stashes it while the journal is being read or another
    /// command's events are being written.
    /// </summary>
    private void WhenWritable(Action run)
    {
        if (!_restored || _pending is not null)
        {
            Stash.Stash();
            return;
        }

        run();
    }

    private void Open(TorrentCommands.OpenTorrent open)
    {
        if (_byHash.TryGetValue(open.Torrent.InfoHash, out var existing) && existing.Removing)
        {
            _monitor.Tell(new NodeOutputs.Error(open.Command, $"still being removed (was {existing.Id.Value}); try again", open.Request));
            return;
        }

        // The cluster's ID, else the one reserved as the command arrived, else the next (taken only if the add is accepted).
        var reserved = open.AssignedId is null ? _ids.Claim(open.Request, _registry.NextId) : null;
        var given = open.AssignedId?.Value ?? reserved;
        var add = new RegistryCommands.Add(
            open.Torrent.Name,
            open.Torrent.InfoHash.ToHex(),
            [.. open.Torrent.EncodedBytes.Span],
            open.DataDirectory,
            open.SeededInPlace,
            open.Command,
            given ?? _ids.Peek(_registry.NextId),
            open.ClusterCopy);
        var decision = RegistryState.Decide(_registry, add);
        if (decision.Refusal is { } refusal)
        {
            _ids.GiveUp(reserved);

            _monitor.Tell(new NodeOutputs.Error(open.Command, refusal, open.Request));
            return;
        }

        if (given is null)
        {
            _ids.Take(_registry.NextId);
        }

        Write(
            decision.Events,
            open.Command,
            open.Request,
            () =>
            {
                foreach (var added in decision.Events.OfType<RegistryEvents.TorrentAdded>())
                {
                    var id = new TorrentId(added.Id);
                    Spawn(id, open, startSession: true);
                    Context.System.EventStream.Publish(new TorrentAccepted(id, open.Command, open.Torrent.Name, open.Torrent.InfoHash, open.Request));
                }
            });
    }

    /// <summary>
    /// Hands <paramref name="events"/> to the journal and runs <paramref name="done"/> once they are written; if they
    /// cannot be (now or while the journal is down after an earlier failure), the command gets an error and nothing
    /// changes.
    /// </summary>
    private void Write(ImmutableArray<RegistryEvents.IRegistryEvent> events, string command, RequestId request, Action done)
    {
        if (events.IsEmpty)
        {
            done();
            return;
        }

        var errors = _monitor;
        void Refuse(string reason) => errors.Tell(new NodeOutputs.Error(command, $"the state could not be saved ({reason}); nothing was changed, try again later", request));
        if (_journalDown is { } down)
        {
            Refuse(down);
            return;
        }

        _pending = new PendingWrite(++_lastTag, events, done, Refuse);
        _journal.Tell(new RegistryJournal.Write(_pending.Tag, events));
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

            // The data folder, whether the data is the user's own (seeded in place) or a copy made for the cluster, and the
            // ID come from the registry; the patron gives the session the torrent's resume data, and the engine checks
            // whatever that does not cover.
            var open = new TorrentCommands.OpenTorrent(
                entry.Command, torrent, entry.DataDirectory, DataVerified: false, RequestId.None, entry.SeededInPlace, new TorrentId(entry.Id), entry.ClusterCopy);
            Spawn(new TorrentId(entry.Id), open, startSession: !entry.Stopped);
        }
    }

    private void Spawn(TorrentId id, TorrentCommands.OpenTorrent open, bool startSession)
    {
        var patron = PatronActor.Props(id, open, _engine, Self, _monitor, errors: _monitor, startSession, _resume, _answers);
        var options = Backoff.OnFailure(patron, "patron", _settings.RestartMinBackoff, _settings.RestartMaxBackoff, 0.2, -1)
            .WithSupervisorStrategy(new OneForOneStrategy(Decider.From(ex => ErrorText.IsPermanent(ex) ? Directive.Stop : Directive.Restart)));
        var child = Context.ActorOf(BackoffSupervisor.Props(options), open.Torrent.InfoHash.ToHex());
        Context.Watch(child);
        _byHash[open.Torrent.InfoHash] = new Entry(id, open.Command, open.Request, child);
        _byId[id] = open.Torrent.InfoHash;
        _log.Info("Torrent {0} is {1} ({2}){3}", id, open.Torrent.Name, open.Torrent.InfoHash, startSession ? "" : ", stopped");
    }

    /// <summary>
    /// Decides the command against the registry, has its events written, then hands the stop, start or remove to the
    /// torrent's patron (if it still has one: a torrent whose patron gave up stays registered until removed) and says
    /// so on the event stream; an error if the registry refuses it or its events cannot be written. The patron answers
    /// once its session did what was asked; a torrent without a patron is answered here once the events are written.
    /// </summary>
    private void Route(TorrentId id, RegistryCommands.IRegistryCommand registryCommand, InstructionCommands.IInstruction message)
    {
        var command = message.Command;
        var live = _byId.TryGetValue(id, out var hash) && _byHash.TryGetValue(hash, out var found) ? found : null;
        if (live is { Removing: true })
        {
            _stdout.Tell(new NodeOutputs.Error(command, $"no torrent with ID {id.Value}", message.Request));
            return;
        }

        var decision = RegistryState.Decide(_registry, registryCommand);
        if (decision.Refusal is { } refusal)
        {
            _stdout.Tell(new NodeOutputs.Error(command, refusal, message.Request));
            return;
        }

        var sender = Sender;
        var name = _registry.Entries.TryGetValue(id.Value, out var registered) ? registered.Name : "";
        Write(decision.Events, command, message.Request, () =>
        {
            if (message is InstructionCommands.RemoveTorrent && live is not null)
            {
                live.Removing = true;
            }

            live?.Supervisor.Tell(message, sender);
            if (live is null && _answers)
            {
                var outcome = message switch
                {
                    InstructionCommands.StartTorrent => CommandOutcome.Started,
                    InstructionCommands.RemoveTorrent => CommandOutcome.Removed,
                    _ => CommandOutcome.Stopped,
                };
                _monitor.Tell(new NodeOutputs.Answer(id, name, outcome, command, message.Request));
            }

            Context.System.EventStream.Publish(new TorrentEvents.CommandRouted(id, message.Command, message.Request));
        });
    }

    /// <summary>A write the journal has not answered yet: what to do once it is written, and how to refuse its command.</summary>
    private sealed record PendingWrite(long Tag, ImmutableArray<RegistryEvents.IRegistryEvent> Events, Action Done, Action<string> Failed);

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

/// <summary>Published when the registry cannot be read: the node cannot know what it held, and stops.</summary>
public sealed record RegistryUnreadable(string? DatabasePath, string Reason);

public static class PatronsActorHosting
{
    /// <summary>Adds the patrons supervisor and a shutdown task that stops every session before the actors stop.</summary>
    /// <param name="answers">Whether the patrons write the answer lines of stop, start and remove (not on a cluster member).</param>
    public static AkkaConfigurationBuilder AddPatronsActor(this AkkaConfigurationBuilder builder, bool answers = true) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var settings = resolver.GetService<NodeActorSettings>();
            var engine = resolver.GetService<ITorrentEngine>();
            var resume = resolver.GetService<ResumeStore>() ?? ResumeStore.None;
            var patrons = system.ActorOf(
                PatronsActor.Props(settings, engine, registry.Get<MonitorActor>(), registry.Get<StdoutActor>(), resume, answers),
                "patrons");
            registry.Register<PatronsActor>(patrons);
            var gone = patrons.WatchAsync();

            var log = Logging.GetLogger(system, typeof(PatronsActor));
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-torrent-sessions", async () =>
            {
                if (gone.IsCompleted)
                {
                    // The patrons stopped (the actor system is going down): no sessions to stop.
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
