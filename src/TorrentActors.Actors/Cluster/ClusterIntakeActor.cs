using System.Globalization;
using Akka.Actor;
using Akka.Event;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Patrons;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Client;

namespace TorrentActors.Actors.Cluster;

/// <summary>
/// A cluster member's <see cref="TorrentIntake"/>: new torrents and stop, start and remove go to the catalog's keeper,
/// not to this member's patrons. A torrent made here (<c>file:</c>) is added as seeded in place by this node and, once
/// the catalog gave it its ID, handed to the patrons under that ID to seed at once; a fetched one (<c>torrent:</c>) is
/// only added to the catalog (the replicas decide who downloads it), and this member prints its <c>ID:NAME:-1</c>
/// line. A stop, start or remove the catalog took is answered here, on the member that took it, with its answer line
/// (<c>ID:NAME:stopped</c>, <c>started</c>, <c>removed</c>); every member's copies follow the catalog. A refusal, or no
/// answer within <see cref="ClusterSettings.AnswerTimeout"/>, is an <c>error:</c> line.
/// </summary>
public sealed class ClusterIntakeActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public ClusterIntakeActor(ClusterMembership membership, IActorRef keeper, IActorRef patrons, IActorRef monitor)
    {
        var settings = membership.Settings;
        var node = membership.NodeName;
        var noAnswer = string.Create(CultureInfo.InvariantCulture, $"the cluster did not answer in {settings.AnswerTimeout.TotalSeconds:0.#} s");

        // The catalog's keeper gives a cluster torrent its ID (in the order it takes the commands), not this member.
        Receive<ReserveId>(_ => { });
        Receive<TorrentCommands.OpenTorrent>(open =>
        {
            var torrent = open.Torrent;
            var add = new CatalogCommands.AddTorrent(
                torrent.InfoHash.ToHex(),
                torrent.Name,
                torrent.TotalLength,
                [.. torrent.EncodedBytes.Span],
                settings.Replicas,
                node,
                open.SeededInPlace ? node : null,
                open.Command);
            Ask(keeper, add, open.Command, open.Request, open, settings.AnswerTimeout);
        });
        Receive<InstructionCommands.StopTorrent>(stop =>
            Ask(keeper, new CatalogCommands.StopTorrent(stop.Id.Value, stop.Command), stop.Command, stop.Request, stop, settings.AnswerTimeout));
        Receive<InstructionCommands.StartTorrent>(start =>
            Ask(keeper, new CatalogCommands.StartTorrent(start.Id.Value, start.Command), start.Command, start.Request, start, settings.AnswerTimeout));
        Receive<InstructionCommands.RemoveTorrent>(remove =>
            Ask(keeper, new CatalogCommands.RemoveTorrent(remove.Id.Value, remove.Command), remove.Command, remove.Request, remove, settings.AnswerTimeout));

        Receive<Answered>(answered =>
        {
            switch (answered.Reply)
            {
                case CatalogReplies.Failed failed:
                    monitor.Tell(new NodeOutputs.Error(answered.Command, failed.Reason, answered.Request));
                    break;
                case CatalogReplies.Succeeded { Entry: var entry } succeeded when answered.Asked is TorrentCommands.OpenTorrent open:
                    Added(open, entry, succeeded.Created, node, patrons, monitor);
                    break;
                case CatalogReplies.Succeeded { Entry: var entry }:
                    var id = new TorrentId(entry.Id);
                    var outcome = answered.Asked switch
                    {
                        InstructionCommands.StartTorrent => CommandOutcome.Started,
                        InstructionCommands.RemoveTorrent => CommandOutcome.Removed,
                        _ => CommandOutcome.Stopped,
                    };
                    monitor.Tell(new NodeOutputs.Answer(id, entry.Name, outcome, answered.Command, answered.Request));
                    Context.System.EventStream.Publish(new TorrentEvents.CommandRouted(id, answered.Command, answered.Request));
                    break;
            }
        });
        Receive<Unanswered>(unanswered =>
        {
            _log.Warning("{0}: the catalog's keeper did not answer: {1}", unanswered.Command, unanswered.Reason);
            monitor.Tell(new NodeOutputs.Error(unanswered.Command, noAnswer, unanswered.Request));
        });
    }

    public static Props Props(ClusterMembership membership, IActorRef keeper, IActorRef patrons, IActorRef monitor) =>
        Akka.Actor.Props.Create(() => new ClusterIntakeActor(membership, keeper, patrons, monitor));

    /// <summary>
    /// The catalog holds the torrent as <paramref name="entry"/>. The user's file made here is seeded in place under the
    /// catalog's ID unless this node seeds it already (the same file given again); the patrons print its first line. Any
    /// other outcome is answered here: one <c>ID:NAME:-1</c> line, and the gateway told.
    /// </summary>
    private void Added(TorrentCommands.OpenTorrent open, CatalogEntry entry, bool created, string node, IActorRef patrons, IActorRef monitor)
    {
        var id = new TorrentId(entry.Id);
        if (open.SeededInPlace && (created || !string.Equals(entry.SeededInPlaceBy, node, StringComparison.Ordinal)))
        {
            _log.Info("Torrent {0} ({1}) is in the catalog; seeding it in place", entry.Id, entry.Name);
            patrons.Tell(open with { AssignedId = id });
            return;
        }

        _log.Info("Torrent {0} ({1}) is in the catalog{2}", entry.Id, entry.Name, created ? "" : " already");
        monitor.Tell(new FirstLine(new NodeOutputs.Progress(id, entry.Name, -1, open.Torrent.InfoHash, TorrentState.Stopped, 0, 0, 0), Again: !created));
        Context.System.EventStream.Publish(new TorrentAccepted(id, open.Command, entry.Name, open.Torrent.InfoHash, open.Request));
    }

    private void Ask(IActorRef keeper, CatalogCommands.ICatalogCommand command, string line, RequestId request, object asked, TimeSpan timeout) =>
        keeper.Ask<CatalogReplies.ICatalogReply>(command, timeout).PipeTo(
            Self,
            success: reply => new Answered(line, request, asked, reply),
            failure: ex => new Unanswered(line, request, ex.GetType().Name + ": " + ex.Message));

    private sealed record Answered(string Command, RequestId Request, object Asked, CatalogReplies.ICatalogReply Reply);

    private sealed record Unanswered(string Command, RequestId Request, string Reason);
}
