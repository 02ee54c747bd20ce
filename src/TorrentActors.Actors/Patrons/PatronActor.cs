using Akka.Actor;
using Akka.Event;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Client;

namespace TorrentActors.Actors.Patrons;

/// <summary>
/// One torrent: owns its engine session (Add + StartAsync), reports every status change to the monitor,
/// and obeys stop/start/remove. A transient failure throws (the back-off supervisor restarts it and the torrent
/// resumes); a failure no retry can fix is reported and the patron stops. Errors go through the monitor
/// (<c>errors</c>), so on stdout they follow the torrent's progress lines in order.
/// </summary>
public sealed class PatronActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TorrentId _id;
    private readonly TorrentCommands.OpenTorrent _open;
    private readonly ITorrentEngine _engine;
    private readonly IActorRef _patrons;
    private readonly IActorRef _monitor;
    private readonly IActorRef _errors;
    private readonly bool _startSession;
    private ITorrentSession? _session;
    private EventHandler<TorrentStatus>? _onStatus;
    private bool _finished;

    public PatronActor(TorrentId id, TorrentCommands.OpenTorrent open, ITorrentEngine engine, IActorRef patrons, IActorRef monitor, IActorRef errors, bool startSession = true)
    {
        _startSession = startSession;
        _id = id;
        _open = open;
        _engine = engine;
        _patrons = patrons;
        _monitor = monitor;
        _errors = errors;

        Receive<PatronMessages.StatusObserved>(observed => OnStatus(observed.Status));
        Receive<PatronMessages.SessionStarted>(_ => _patrons.Tell(new PatronMessages.PatronRunning(_open.Torrent.InfoHash)));
        Receive<PatronMessages.SessionFailed>(failed => OnFailure(failed.Exception));
        Receive<InstructionCommands.StopTorrent>(stop => Run(stop, s => s.StopAsync()));
        Receive<InstructionCommands.StartTorrent>(start => Run(start, s => s.StartAsync()));
        Receive<InstructionCommands.RemoveTorrent>(remove =>
            _engine.RemoveAsync(_open.Torrent.InfoHash).PipeTo(
                Self,
                success: () => PatronMessages.SessionRemoved.Instance,
                failure: ex => new PatronMessages.CommandFailed(remove.Command, remove.Request, ex)));
        Receive<PatronMessages.SessionRemoved>(_ =>
        {
            _finished = true;
            Context.Stop(Self);
        });
        Receive<PatronMessages.CommandDone>(done => _log.Info("{0} done", done.Command));
        Receive<PatronMessages.CommandFailed>(failed =>
        {
            _log.Warning(failed.Exception, "{0} failed", failed.Command);
            _errors.Tell(new NodeOutputs.Error(failed.Command, ErrorText.Describe(failed.Exception), failed.Request));
        });
        Receive<PatronMessages.StopSession>(_ =>
        {
            var session = _session;
            if (session is null)
            {
                Sender.Tell(PatronMessages.SessionStopped.Instance);
                return;
            }

            session.StopAsync().PipeTo(Sender, success: () => PatronMessages.SessionStopped.Instance);
        });
    }

    /// <summary>With <paramref name="startSession"/> false the session is added but not started (a torrent that was stopped).</summary>
    public static Props Props(TorrentId id, TorrentCommands.OpenTorrent open, ITorrentEngine engine, IActorRef patrons, IActorRef monitor, IActorRef errors, bool startSession = true) =>
        Akka.Actor.Props.Create(() => new PatronActor(id, open, engine, patrons, monitor, errors, startSession));

    protected override void PreStart()
    {
        var options = new TorrentSessionOptions { DownloadDirectory = _open.DataDirectory, DataVerified = _open.DataVerified };
        try
        {
            _session = _engine.Add(_open.Torrent, options);
        }
        catch (Exception ex) when (ErrorText.IsPermanent(ex))
        {
            GiveUp(ErrorText.Describe(ex), ex);
            return;
        }

        var self = Self;
        _onStatus = (_, status) => self.Tell(new PatronMessages.StatusObserved(status));
        _session.StatusChanged += _onStatus;
        Report(_session.Status);
        if (!_startSession)
        {
            return;
        }

        _session.StartAsync().PipeTo(
            Self,
            success: () => PatronMessages.SessionStarted.Instance,
            failure: ex => new PatronMessages.SessionFailed(ex));
    }

    protected override void PostStop()
    {
        if (_session is not null && _onStatus is not null)
        {
            _session.StatusChanged -= _onStatus;
        }

        _onStatus = null;
    }

    private void OnStatus(TorrentStatus status)
    {
        if (_finished)
        {
            return;
        }

        Report(status);
        if (status.State == TorrentState.Error)
        {
            GiveUp(status.Error ?? "the engine reported an error", null);
        }
    }

    private void OnFailure(Exception exception)
    {
        if (ErrorText.IsPermanent(exception))
        {
            GiveUp(ErrorText.Describe(exception), exception);
            return;
        }

        var reason = ErrorText.Describe(exception);
        _log.Warning(exception, "Torrent {0} ({1}) failed, restarting after a back-off: {2}", _id, _open.Torrent.Name, reason);
        _patrons.Tell(new PatronMessages.PatronFailed(_open.Torrent.InfoHash, reason));
        throw new TransientTorrentException(reason, exception);
    }

    /// <summary>Reports the failure on stdout, drops the session from the engine and stops (no restart).</summary>
    private void GiveUp(string reason, Exception? exception)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        _log.Error(exception, "Torrent {0} ({1}) cannot work: {2}", _id, _open.Torrent.Name, reason);
        _errors.Tell(new NodeOutputs.Error(_open.Command, reason, _open.Request));
        if (_session is not null)
        {
            _engine.RemoveAsync(_open.Torrent.InfoHash).PipeTo(_patrons, success: () => PatronMessages.SessionRemoved.Instance, failure: ex => new Status.Failure(ex));
        }

        Context.Stop(Self);
    }

    private void Run(InstructionCommands.IInstruction instruction, Func<ITorrentSession, Task> action)
    {
        if (_session is null)
        {
            _errors.Tell(new NodeOutputs.Error(instruction.Command, "the torrent has no session", instruction.Request));
            return;
        }

        action(_session).PipeTo(
            Self,
            success: () => new PatronMessages.CommandDone(instruction.Command),
            failure: ex => new PatronMessages.CommandFailed(instruction.Command, instruction.Request, ex));
    }

    private void Report(TorrentStatus status) =>
        _monitor.Tell(new TorrentEvents.StatusReported(_id, _open.Torrent.Name, _open.Torrent.InfoHash, status));
}
