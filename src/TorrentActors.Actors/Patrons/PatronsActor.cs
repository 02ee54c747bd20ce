using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Akka.Pattern;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Output;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
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

/// <summary>
/// Supervises one patron per torrent (named by infohash hex, each behind a back-off supervisor), numbers the
/// torrents 1, 2, 3... in order of arrival, refuses a torrent that is already active, and routes stop/start/remove.
/// </summary>
public sealed class PatronsActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<InfoHash, Entry> _byHash = [];
    private readonly Dictionary<TorrentId, InfoHash> _byId = [];
    private int _nextId = 1;

    public PatronsActor(NodeActorSettings settings, ITorrentEngine engine, IActorRef monitor, IActorRef stdout)
    {
        Receive<TorrentCommands.OpenTorrent>(open =>
        {
            if (_byHash.TryGetValue(open.Torrent.InfoHash, out var existing))
            {
                var reason = existing.Removing ? $"still being removed (was {existing.Id.Value}); try again" : $"already active as {existing.Id.Value}";
                monitor.Tell(new NodeOutputs.Error(open.Command, reason, open.Request));
                return;
            }

            var id = new TorrentId(_nextId++);
            var patron = PatronActor.Props(id, open, engine, Self, monitor, errors: monitor);
            var options = Backoff.OnFailure(patron, "patron", settings.RestartMinBackoff, settings.RestartMaxBackoff, 0.2, -1)
                .WithSupervisorStrategy(new OneForOneStrategy(Decider.From(ex => ErrorText.IsPermanent(ex) ? Directive.Stop : Directive.Restart)));
            var child = Context.ActorOf(BackoffSupervisor.Props(options), open.Torrent.InfoHash.ToHex());
            Context.Watch(child);
            _byHash[open.Torrent.InfoHash] = new Entry(id, open.Command, open.Request, child);
            _byId[id] = open.Torrent.InfoHash;
            _log.Info("Torrent {0} is {1} ({2})", id, open.Torrent.Name, open.Torrent.InfoHash);
            Context.System.EventStream.Publish(new TorrentAccepted(id, open.Command, open.Torrent.Name, open.Torrent.InfoHash, open.Request));
        });
        Receive<InstructionCommands.StopTorrent>(stop => Route(stop.Id, stdout, stop));
        Receive<InstructionCommands.StartTorrent>(start => Route(start.Id, stdout, start));
        Receive<InstructionCommands.RemoveTorrent>(remove =>
        {
            if (Route(remove.Id, stdout, remove) is { } entry)
            {
                entry.Removing = true;
            }
        });
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

    public static Props Props(NodeActorSettings settings, ITorrentEngine engine, IActorRef monitor, IActorRef stdout) =>
        Akka.Actor.Props.Create(() => new PatronsActor(settings, engine, monitor, stdout));

    /// <summary>Hands a stop, start or remove to the torrent's patron and says so on the event stream; an error if there is none.</summary>
    private Entry? Route(TorrentId id, IActorRef stdout, InstructionCommands.IInstruction instruction)
    {
        if (_byId.TryGetValue(id, out var hash) && _byHash.TryGetValue(hash, out var entry) && !entry.Removing)
        {
            entry.Supervisor.Forward(instruction);
            Context.System.EventStream.Publish(new TorrentEvents.CommandRouted(id, instruction.Command, instruction.Request));
            return entry;
        }

        stdout.Tell(new NodeOutputs.Error(instruction.Command, $"no torrent with ID {id.Value}", instruction.Request));
        return null;
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

public static class PatronsActorHosting
{
    /// <summary>Adds the patrons supervisor and a shutdown task that stops every session before the actors stop.</summary>
    public static AkkaConfigurationBuilder AddPatronsActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var settings = resolver.GetService<NodeActorSettings>();
            var engine = resolver.GetService<ITorrentEngine>();
            var patrons = system.ActorOf(
                PatronsActor.Props(settings, engine, registry.Get<MonitorActor>(), registry.Get<StdoutActor>()),
                "patrons");
            registry.Register<PatronsActor>(patrons);

            var log = Logging.GetLogger(system, typeof(PatronsActor));
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-torrent-sessions", async () =>
            {
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
