using Akka.Actor;
using Akka.Event;
using TorrentActors.Actors.Registry;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Storage;

namespace TorrentActors.Actors.Patrons;

/// <summary>
/// One torrent: owns its engine session (Add + StartAsync), reports every status change to the monitor,
/// and obeys stop/start/remove. A transient failure throws (the back-off supervisor restarts it and the torrent
/// resumes); a failure no retry can fix is reported and the patron stops. Errors go through the monitor
/// (<c>errors</c>), so on stdout they follow the torrent's progress lines in order; so do the answer lines
/// (<c>ID:NAME:stopped</c>, <c>started</c>, <c>removed</c>) it writes once a command took effect, when it is told to answer
/// (not on a cluster member, where the member that took the command answers).
/// </summary>
public sealed class PatronActor : ReceiveActor, IWithTimers
{
    /// <summary>How often the resume data is written while the verified pieces change (the issue allows at most 5 s).</summary>
    private static readonly TimeSpan ResumeInterval = TimeSpan.FromSeconds(4);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TorrentId _id;
    private readonly TorrentCommands.OpenTorrent _open;
    private readonly ITorrentEngine _engine;
    private readonly IActorRef _patrons;
    private readonly IActorRef _monitor;
    private readonly IActorRef _errors;
    private readonly bool _startSession;
    private readonly ResumeStore _resume;
    private readonly bool _answers;
    private InstructionCommands.RemoveTorrent? _removing;
    private long _savedVerified = -1;
    private ITorrentSession? _session;
    private EventHandler<TorrentStatus>? _onStatus;
    private bool _finished;

    public PatronActor(TorrentId id, TorrentCommands.OpenTorrent open, ITorrentEngine engine, IActorRef patrons, IActorRef monitor, IActorRef errors, bool startSession = true, ResumeStore? resume = null, bool answers = true)
    {
        _resume = resume ?? ResumeStore.None;
        _answers = answers;
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
        {
            _removing = remove;
            _engine.RemoveAsync(_open.Torrent.InfoHash).PipeTo(
                Self,
                success: () => PatronMessages.SessionRemoved.Instance,
                failure: ex => new PatronMessages.CommandFailed(remove.Command, remove.Request, ex));
        });
        Receive<PatronMessages.SessionRemoved>(_ =>
        {
            _finished = true;
            if (_removing is { } removed)
            {
                Answer(removed, CommandOutcome.Removed);
            }

            _resume.Delete(_open.Torrent.InfoHash);
            if (_open.ClusterCopy)
            {
                DeleteClusterCopy();
            }

            Context.Stop(Self);
        });
        Receive<PatronMessages.SaveResume>(_ => SaveResume(force: false));
        Receive<PatronMessages.CommandDone>(done =>
        {
            _log.Info("{0} done", done.Instruction.Command);
            SaveResume(force: true); // after stop:ID, what the run verified is on record at once
            Answer(done.Instruction, done.Instruction is InstructionCommands.StartTorrent ? CommandOutcome.Started : CommandOutcome.Stopped);
        });
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
    /// <summary><paramref name="answers"/>: write an answer line for every stop, start and remove once it took effect.</summary>
    public static Props Props(TorrentId id, TorrentCommands.OpenTorrent open, ITorrentEngine engine, IActorRef patrons, IActorRef monitor, IActorRef errors, bool startSession = true, ResumeStore? resume = null, bool answers = true) =>
        Akka.Actor.Props.Create(() => new PatronActor(id, open, engine, patrons, monitor, errors, startSession, resume, answers));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var torrent = _open.Torrent;
        var stored = _resume.Load(torrent.InfoHash);
        var options = new TorrentSessionOptions
        {
            DownloadDirectory = _open.DataDirectory,
            DataVerified = _open.DataVerified,
            Resume = stored is null ? null : ResumeData.TryDecode(stored, torrent.PieceCount, torrent.Files.Count),
        };
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
        Timers.StartPeriodicTimer("save-resume", PatronMessages.SaveResume.Instance, ResumeInterval);
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
        if (!_finished)
        {
            SaveResume(force: true); // at shutdown, after the session's stop
        }

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
            success: () => new PatronMessages.CommandDone(instruction),
            failure: ex => new PatronMessages.CommandFailed(instruction.Command, instruction.Request, ex));
    }

    /// <summary>Writes the session's resume data when its verified bytes changed since the last write, or always when forced.</summary>
    private void SaveResume(bool force)
    {
        if (_session is null)
        {
            return;
        }

        var verified = _session.Status.BytesVerified;
        if ((!force && verified == _savedVerified) || _session.CaptureResumeData() is not { } data)
        {
            return;
        }

        _resume.Save(_open.Torrent.InfoHash, data.Encode());
        _savedVerified = verified;
    }

    /// <summary>
    /// A copy downloaded for the cluster is deleted when the node no longer holds it: its files (each path resolved as the
    /// storage does, so nothing outside the data folder is touched), then the folders the torrent made, if empty.
    /// </summary>
    private void DeleteClusterCopy()
    {
        var root = Path.GetFullPath(_open.DataDirectory);
        var deleted = 0;
        foreach (var file in _open.Torrent.Files)
        {
            try
            {
                var path = TorrentPaths.Resolve(root, file.PathComponents);
                if (File.Exists(path))
                {
                    File.Delete(path);
                    deleted++;
                }

                for (var folder = Path.GetDirectoryName(path); folder is not null && folder.Length > root.Length && folder.StartsWith(root, StringComparison.Ordinal); folder = Path.GetDirectoryName(folder))
                {
                    if (!Directory.Exists(folder) || Directory.EnumerateFileSystemEntries(folder).Any())
                    {
                        break;
                    }

                    Directory.Delete(folder);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or MetainfoException)
            {
                _log.Warning(ex, "Deleting the cluster copy of torrent {0} ({1}) left {2}: {3}", _id, _open.Torrent.Name, file.RelativePath, ex.Message);
            }
        }

        _log.Info("Deleted the cluster copy of torrent {0} ({1}): {2} files under {3}", _id, _open.Torrent.Name, deleted, root);
    }

    /// <summary>The command's answer line, through the monitor so it follows the torrent's progress lines.</summary>
    private void Answer(InstructionCommands.IInstruction instruction, CommandOutcome outcome)
    {
        if (_answers)
        {
            _monitor.Tell(new NodeOutputs.Answer(_id, _open.Torrent.Name, outcome, instruction.Command, instruction.Request));
        }
    }

    private void Report(TorrentStatus status) =>
        _monitor.Tell(new TorrentEvents.StatusReported(_id, _open.Torrent.Name, _open.Torrent.InfoHash, status));
}
