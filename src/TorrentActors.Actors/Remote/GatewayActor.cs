using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Parsing;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Remote;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Remote;

/// <summary>
/// The node's remote door at <see cref="RemoteProtocol.GatewayPath"/>. Each command gets a new <see cref="RequestId"/>
/// and goes, as the message it is, to the same parser the stdin bridge feeds (an upload goes straight to the <see cref="TorrentIntake"/>),
/// so a remote command does exactly what its line on stdin does. The instruction carries the request id through the
/// node and every outcome carries it back — the patrons publish the torrents they accept, the stdout actor the answer
/// lines (a stop, start or remove that took effect) and errors it prints — so the gateway answers the sender that made that request and no other,
/// however many send the same command. Progress and error lines fan out to subscribers, who are watched and dropped
/// when they die.
/// </summary>
public sealed class GatewayActor : ReceiveActor, IWithTimers
{
    /// <summary>Senders waiting for an outcome, at most; beyond it a command is refused at once.</summary>
    public const int MaxPending = 1024;

    public const int MaxSubscribers = 256;

    /// <summary>A sender still waiting after this long gets a failure (the outcome may still show in its events).</summary>
    public static readonly TimeSpan PendingTimeout = TimeSpan.FromMinutes(10);

    private const string SweepTimer = "sweep";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<RequestId, Waiting> _pending = [];
    private readonly HashSet<IActorRef> _subscribers = [];
    private readonly SortedDictionary<int, RemoteEvents.TorrentProgress> _torrents = [];
    private readonly HashSet<int> _completed = [];
    private ImmutableArray<ReplicaView> _cluster = [];

    public GatewayActor(NodeActorSettings settings, IActorRef parser, IActorRef intake, IActorRef stdout)
    {
        Receive<Sweep>(_ => ExpireWaiting(DateTime.UtcNow));
        Receive<RemoteCommands.AddTorrentBytes>(add =>
        {
            var command = $"torrent:({add.TorrentBytes.Length} bytes)";
            if (Await(command) is not { } request)
            {
                return;
            }

            var limit = Math.Min(RemoteProtocol.MaxTorrentBytes, settings.MaxTorrentFileBytes);
            if (add.TorrentBytes.Length > limit)
            {
                stdout.Tell(new NodeOutputs.Error(command, $"the torrent is {add.TorrentBytes.Length} bytes; the limit is {limit}", request));
                return;
            }

            Torrent torrent;
            try
            {
                torrent = Torrent.Parse(ImmutableCollectionsMarshal.AsArray(add.TorrentBytes)!);
            }
            catch (Exception ex) when (ErrorText.IsPermanent(ex))
            {
                stdout.Tell(new NodeOutputs.Error(command, ErrorText.Describe(ex), request));
                return;
            }

            intake.Tell(new TorrentCommands.OpenTorrent(command, torrent, settings.DownloadDirectory, DataVerified: false, request));
        });
        Receive<RemoteCommands.GetStatus>(_ => Sender.Tell(new RemoteReplies.StatusReport(StatusLines())));
        Receive<ClusterStatus>(status => _cluster = status.Views);
        Receive<ReplicaEvent>(changed => Publish(new RemoteEvents.ReplicaChanged(changed.Id, changed.Name, changed.Kind, changed.Node, changed.Detail)));
        Receive<RemoteCommands.Subscribe>(_ =>
        {
            if (!_subscribers.Contains(Sender) && _subscribers.Count >= MaxSubscribers)
            {
                Sender.Tell(new RemoteReplies.CommandFailed("subscribe", $"the node has {MaxSubscribers} subscribers already"));
                return;
            }

            if (_subscribers.Add(Sender))
            {
                Context.Watch(Sender);
                _log.Info("{0} subscribed to progress", Sender.Path);
            }

            Sender.Tell(new RemoteReplies.Subscribed([.. _torrents.Values]));
        });
        Receive<RemoteCommands.Unsubscribe>(_ =>
        {
            if (_subscribers.Remove(Sender))
            {
                Context.Unwatch(Sender);
            }

            Sender.Tell(RemoteReplies.Unsubscribed.Instance);
        });
        Receive<RemoteCommands.IRemoteCommand>(command =>
        {
            // Every command without a line (uploads, subscriptions) has its own handler above.
            var line = PipeGrammar.Format(command) ?? command.GetType().Name;
            if (line.Length > settings.MaxLineChars)
            {
                var shortened = line[..Math.Min(line.Length, OutputFormat.MaxEchoedCommandLength)] + "…";
                Sender.Tell(new RemoteReplies.CommandFailed(shortened, $"the line is {line.Length} characters; the limit is {settings.MaxLineChars}"));
                return;
            }

            if (Await(line.Trim()) is { } request)
            {
                _log.Info("Remote command {0} from {1}: {2}", request, Sender.Path.Address, OutputFormat.OneLine(line, OutputFormat.MaxEchoedCommandLength));
                parser.Tell(new RemoteCommandReceived(command, request));
            }
        });

        Receive<NodeOutputs.Progress>(progress =>
        {
            var remote = new RemoteEvents.TorrentProgress(
                progress.Id.Value, progress.Name, progress.Percent, progress.InfoHash.ToHex(), OutputFormat.StateName(progress.State));
            _torrents[remote.Id] = remote;
            Publish(remote);
            if (remote.Percent >= 100 && _completed.Add(remote.Id))
            {
                Publish(new RemoteEvents.TorrentCompleted(remote.Id, remote.Name, remote.InfoHash));
            }
        });
        Receive<NodeOutputs.Error>(error =>
        {
            Answer(error.Request, new RemoteReplies.CommandFailed(error.Command, error.Reason));
            Publish(new RemoteEvents.NodeError(error.Command, error.Reason));
        });
        Receive<TorrentAccepted>(accepted =>
        {
            _torrents.TryAdd(accepted.Id.Value, new RemoteEvents.TorrentProgress(
                accepted.Id.Value, accepted.Name, -1, accepted.InfoHash.ToHex(), "stopped"));
            Answer(accepted.Request, new RemoteReplies.TorrentAdded(accepted.Command, accepted.Id.Value, accepted.Name, accepted.InfoHash.ToHex()));
        });
        Receive<NodeOutputs.Answer>(answer =>
        {
            if (answer.Outcome != CommandOutcome.Removed && _torrents.TryGetValue(answer.Id.Value, out var known))
            {
                _torrents[answer.Id.Value] = known with { State = answer.Outcome == CommandOutcome.Stopped ? "stopped" : known.Percent >= 100 ? "seeding" : "downloading" };
            }

            var outcome = OutputFormat.OutcomeName(answer.Outcome);
            Answer(answer.Request, new RemoteReplies.CommandApplied(answer.Command, answer.Id.Value, answer.Name, outcome));
            Publish(new RemoteEvents.CommandAnswered(answer.Id.Value, answer.Name, outcome, answer.Command));
        });
        Receive<TorrentEvents.TorrentForgotten>(forgotten =>
        {
            _torrents.Remove(forgotten.Id.Value);
            _completed.Remove(forgotten.Id.Value);
            Publish(new RemoteEvents.TorrentRemoved(forgotten.Id.Value));
        });
        Receive<Terminated>(terminated =>
        {
            if (_subscribers.Remove(terminated.ActorRef))
            {
                _log.Info("Subscriber {0} is gone", terminated.ActorRef.Path);
            }
        });
    }

    public static Props Props(NodeActorSettings settings, IActorRef parser, IActorRef intake, IActorRef stdout) =>
        Akka.Actor.Props.Create(() => new GatewayActor(settings, parser, intake, stdout));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(SweepTimer, Sweep.Instance, TimeSpan.FromSeconds(30));
        var events = Context.System.EventStream;
        events.Subscribe(Self, typeof(NodeOutputs.INodeOutput));
        events.Subscribe(Self, typeof(TorrentAccepted));
        events.Subscribe(Self, typeof(TorrentEvents.TorrentForgotten));
        events.Subscribe(Self, typeof(ClusterStatus));
        events.Subscribe(Self, typeof(ReplicaEvent));
    }

    /// <summary>
    /// Every torrent this node has; on a cluster member also every torrent of the catalog, each with its replicas (one
    /// this member does not hold shows its best copy, state <c>elsewhere</c>), in ID order.
    /// </summary>
    private ImmutableArray<RemoteEvents.TorrentProgress> StatusLines()
    {
        if (_cluster.IsDefaultOrEmpty)
        {
            return [.. _torrents.Values];
        }

        var lines = new SortedDictionary<int, RemoteEvents.TorrentProgress>(_torrents);
        foreach (var view in _cluster)
        {
            var copies = view.Copies.Select(c => new RemoteEvents.ReplicaCopyInfo(c.Key, c.Value.Percent, c.Value.Complete, view.Holders.Contains(c.Key))).ToImmutableArray();
            var replicas = new RemoteEvents.ReplicaInfo(view.Target, view.AtTarget, copies);
            lines[view.Entry.Id] = lines.TryGetValue(view.Entry.Id, out var local)
                ? local with { Replicas = replicas }
                : new RemoteEvents.TorrentProgress(view.Entry.Id, view.Entry.Name, copies.IsEmpty ? -1 : copies.Max(c => c.Percent), view.Entry.InfoHash.ToLowerInvariant(), "elsewhere", replicas);
        }

        return [.. lines.Values];
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>A new request for the sender's <paramref name="command"/>; null (and a refusal sent) when too many wait.</summary>
    private RequestId? Await(string command)
    {
        if (_pending.Count >= MaxPending)
        {
            Sender.Tell(new RemoteReplies.CommandFailed(command, $"the node has {MaxPending} remote commands in progress; try again later"));
            return null;
        }

        var request = RequestId.New();
        _pending.Add(request, new Waiting(Sender, command, DateTime.UtcNow + PendingTimeout));
        return request;
    }

    /// <summary>The first outcome of a request answers its sender; later ones (and those of stdin's lines) only reach subscribers.</summary>
    private void Answer(RequestId request, RemoteReplies.IRemoteReply reply)
    {
        if (_pending.Remove(request, out var waiting))
        {
            waiting.Sender.Tell(reply);
        }
    }

    private void ExpireWaiting(DateTime now)
    {
        foreach (var (request, waiting) in _pending.Where(pair => pair.Value.Deadline <= now).ToList())
        {
            _pending.Remove(request);
            waiting.Sender.Tell(new RemoteReplies.CommandFailed(waiting.Command, $"no outcome within {PendingTimeout.TotalMinutes:0} minutes"));
        }
    }

    private void Publish(RemoteEvents.IRemoteEvent message)
    {
        foreach (var subscriber in _subscribers)
        {
            subscriber.Tell(message);
        }
    }

    private sealed record Waiting(IActorRef Sender, string Command, DateTime Deadline);

    private sealed record Sweep
    {
        public static readonly Sweep Instance = new();

        private Sweep()
        {
        }
    }
}
