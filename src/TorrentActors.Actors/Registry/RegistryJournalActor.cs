using System.Collections.Immutable;
using Akka.Actor;
using Akka.Event;
using Akka.Persistence;

namespace TorrentActors.Actors.Registry;

/// <summary>Between the patrons and the registry's journal (local only).</summary>
public static class RegistryJournal
{
    /// <summary>Write <paramref name="Events"/> to the journal, atomically; the reply is <see cref="Written"/> or <see cref="WriteFailed"/>.</summary>
    public sealed record Write(long Tag, ImmutableArray<RegistryEvents.IRegistryEvent> Events);

    /// <summary>The events of write <paramref name="Tag"/> are in the journal.</summary>
    public sealed record Written(long Tag);

    /// <summary>The events of write <paramref name="Tag"/> are not in the journal; the journal restarts after a back-off.</summary>
    public sealed record WriteFailed(long Tag, string Reason);

    /// <summary>The journal was read (at start, and again after each restart): <paramref name="State"/> is what it holds.</summary>
    public sealed record Recovered(RegistryState State);

    /// <summary>The journal cannot be read: the node cannot know what it held.</summary>
    public sealed record Unreadable(string Reason);
}

/// <summary>
/// The persistent half of the torrent registry: an event-sourced actor that only reads and writes the journal (and a
/// snapshot every <see cref="NodeActorSettings.SnapshotEvery"/> events) for the patrons actor, which decides and acts.
/// Akka.Persistence stops a persistent actor whose write failed (a full disk), so this one holds nothing else: it is
/// restarted after a back-off, reads the journal again, and the patrons and their torrents never notice.
/// </summary>
public sealed class RegistryJournalActor : ReceivePersistentActor
{
    public const string RegistryPersistenceId = "torrent-registry";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly NodeActorSettings _settings;
    private readonly IActorRef _patrons;
    private RegistryState _registry = RegistryState.Empty;
    private long? _writing;

    public RegistryJournalActor(NodeActorSettings settings, IActorRef patrons)
    {
        _settings = settings;
        _patrons = patrons;

        Recover<SnapshotOffer>(offer =>
        {
            if (offer.Snapshot is RegistrySnapshot snapshot)
            {
                _registry = RegistryState.FromSnapshot(snapshot);
            }
        });
        Recover<RegistryEvents.IRegistryEvent>(e => _registry = RegistryState.Apply(_registry, e));
        Recover<RecoveryCompleted>(_ => _patrons.Tell(new RegistryJournal.Recovered(_registry)));

        Command<RegistryJournal.Write>(write =>
        {
            if (write.Events.IsEmpty)
            {
                _patrons.Tell(new RegistryJournal.Written(write.Tag));
                return;
            }

            _writing = write.Tag;
            var last = write.Events[^1];
            PersistAll(write.Events, e =>
            {
                _registry = RegistryState.Apply(_registry, e);
                if (_settings.SnapshotEvery > 0 && LastSequenceNr % _settings.SnapshotEvery == 0)
                {
                    SaveSnapshot(_registry.ToSnapshot());
                }

                if (ReferenceEquals(e, last))
                {
                    _writing = null;
                    _patrons.Tell(new RegistryJournal.Written(write.Tag));
                }
            });
        });
        Command<SaveSnapshotSuccess>(saved => _log.Debug("Registry snapshot at event {0}", saved.Metadata.SequenceNr));
        Command<SaveSnapshotFailure>(failed => _log.Warning(failed.Cause, "Saving a registry snapshot failed; the journal still holds every event"));
    }

    public override string PersistenceId => RegistryPersistenceId;

    public static Props Props(NodeActorSettings settings, IActorRef patrons) =>
        Akka.Actor.Props.Create(() => new RegistryJournalActor(settings, patrons));

    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        _log.Error(
            reason,
            "The torrent registry in {0} cannot be read: {1}. Move the file away to start with an empty registry; the node does not overwrite it",
            _settings.StateDatabasePath ?? "memory",
            ErrorText.Describe(reason));
        _patrons.Tell(new RegistryJournal.Unreadable(ErrorText.Describe(reason)));
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>The write is not in the journal (SQLite rolled it back); Akka.Persistence stops this actor after it.</summary>
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(
            "Writing the torrent registry to {0} failed: {1}. The node serves on with the registry it has on disk; the journal is read again after a back-off",
            _settings.StateDatabasePath ?? "memory",
            ErrorText.Describe(cause));
        Failed(ErrorText.Describe(cause));
    }

    /// <summary>The journal refused the event itself (it could not be serialized); this actor keeps running.</summary>
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        _log.Error(cause, "The torrent registry refused event {0}: {1}", @event.GetType().Name, ErrorText.Describe(cause));
        Failed(ErrorText.Describe(cause));
    }

    private void Failed(string reason)
    {
        // Every event of one write fails together: the patrons hear about the write once.
        if (_writing is { } tag)
        {
            _writing = null;
            _patrons.Tell(new RegistryJournal.WriteFailed(tag, reason));
        }
    }
}
