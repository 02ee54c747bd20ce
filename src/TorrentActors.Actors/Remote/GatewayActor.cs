using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Akka.Actor;
using Akka.Event;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Input;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Remote;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Remote;

/// <summary>
/// The node's remote door at <see cref="RemoteProtocol.GatewayPath"/>. A command becomes its pipe line and goes to
/// the same parser the stdin bridge feeds, so a remote command does exactly what the same line on stdin does.
/// The outcome comes back the way the node reports it anyway — the stdout actor and the patrons publish what they
/// do — and is matched to the waiting sender by its command text: the torrent's ID and infohash, or the error.
/// Progress and error lines fan out to subscribers, who are watched and dropped when they die.
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
    private readonly Dictionary<string, Queue<Waiting>> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<IActorRef> _subscribers = [];
    private readonly SortedDictionary<int, RemoteEvents.TorrentProgress> _torrents = [];
    private readonly HashSet<int> _completed = [];
    private int _pendingCount;

    public GatewayActor(NodeActorSettings settings, IActorRef parser, IActorRef patrons, IActorRef stdout)
    {
        Receive<Sweep>(_ => ExpireWaiting(DateTime.UtcNow));
        Receive<RemoteCommands.AddTorrentBytes>(add =>
        {
            var command = $"torrent:({add.TorrentBytes.Length} bytes)";
            if (!Await(command))
            {
                return;
            }

            if (add.TorrentBytes.Length > Math.Min(RemoteProtocol.MaxTorrentBytes, settings.MaxTorrentFileBytes))
            {
                stdout.Tell(new NodeOutputs.Error(command, $"the torrent is {add.TorrentBytes.Length} bytes; the limit is {Math.Min(RemoteProtocol.MaxTorrentBytes, settings.MaxTorrentFileBytes)}"));
                return;
            }

            Torrent torrent;
            try
            {
                torrent = Torrent.Parse(ImmutableCollectionsMarshal.AsArray(add.TorrentBytes)!);
            }
            catch (Exception ex) when (ErrorText.IsPermanent(ex))
            {
                stdout.Tell(new NodeOutputs.Error(command, ErrorText.Describe(ex)));
                return;
            }

            patrons.Tell(new TorrentCommands.OpenTorrent(command, torrent, settings.DownloadDirectory, DataVerified: false));
        });
        Receive<RemoteCommands.StopTorrent>(stop => ToTorrent(stop.Id, RemoteCommands.ToLine(stop)!, parser));
        Receive<RemoteCommands.StartTorrent>(start => ToTorrent(start.Id, RemoteCommands.ToLine(start)!, parser));
        Receive<RemoteCommands.RemoveTorrent>(remove => ToTorrent(remove.Id, RemoteCommands.ToLine(remove)!, parser));
        Receive<RemoteCommands.GetStatus>(_ => Sender.Tell(new RemoteReplies.StatusReport([.. _torrents.Values])));
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
            var line = RemoteCommands.ToLine(command)!;
            if (line.Length > settings.MaxLineChars)
            {
                var shortened = line[..Math.Min(line.Length, OutputFormat.MaxEchoedCommandLength)] + "…";
                Sender.Tell(new RemoteReplies.CommandFailed(shortened, $"the line is {line.Length} characters; the limit is {settings.MaxLineChars}"));
                return;
            }

            if (Await(line.Trim()))
            {
                _log.Info("Remote command from {0}: {1}", Sender.Path.Address, OutputFormat.OneLine(line, OutputFormat.MaxEchoedCommandLength));
                parser.Tell(new InputEvents.LineRead(line));
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
            Resolve(error.Command, new RemoteReplies.CommandFailed(error.Command, error.Reason));
            Publish(new RemoteEvents.NodeError(error.Command, error.Reason));
        });
        Receive<TorrentAccepted>(accepted =>
        {
            _torrents.TryAdd(accepted.Id.Value, new RemoteEvents.TorrentProgress(
                accepted.Id.Value, accepted.Name, -1, accepted.InfoHash.ToHex(), "stopped"));
            Resolve(accepted.Command, new RemoteReplies.TorrentAdded(accepted.Command, accepted.Id.Value, accepted.Name, accepted.InfoHash.ToHex()));
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

    public static Props Props(NodeActorSettings settings, IActorRef parser, IActorRef patrons, IActorRef stdout) =>
        Akka.Actor.Props.Create(() => new GatewayActor(settings, parser, patrons, stdout));

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        Timers.StartPeriodicTimer(SweepTimer, Sweep.Instance, TimeSpan.FromSeconds(30));
        var events = Context.System.EventStream;
        events.Subscribe(Self, typeof(NodeOutputs.INodeOutput));
        events.Subscribe(Self, typeof(TorrentAccepted));
        events.Subscribe(Self, typeof(TorrentEvents.TorrentForgotten));
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    /// <summary>stop/start/remove: accepted at once for a torrent the node has; otherwise the parser's error answers.</summary>
    private void ToTorrent(int id, string line, IActorRef parser)
    {
        if (_torrents.ContainsKey(id))
        {
            parser.Tell(new InputEvents.LineRead(line));
            Sender.Tell(new RemoteReplies.CommandAccepted(line));
            return;
        }

        if (Await(line))
        {
            parser.Tell(new InputEvents.LineRead(line));
        }
    }

    /// <summary>Queues the sender for the outcome of <paramref name="command"/>; false (and a refusal sent) when too many wait.</summary>
    private bool Await(string command)
    {
        if (_pendingCount >= MaxPending)
        {
            Sender.Tell(new RemoteReplies.CommandFailed(command, $"the node has {MaxPending} remote commands in progress; try again later"));
            return false;
        }

        if (!_pending.TryGetValue(command, out var waiting))
        {
            waiting = new Queue<Waiting>();
            _pending[command] = waiting;
        }

        waiting.Enqueue(new Waiting(Sender, DateTime.UtcNow + PendingTimeout));
        _pendingCount++;
        return true;
    }

    private void Resolve(string command, RemoteReplies.IRemoteReply reply)
    {
        if (!_pending.TryGetValue(command, out var waiting))
        {
            return;
        }

        waiting.Dequeue().Sender.Tell(reply);
        _pendingCount--;
        if (waiting.Count == 0)
        {
            _pending.Remove(command);
        }
    }

    private void ExpireWaiting(DateTime now)
    {
        foreach (var (command, waiting) in _pending.ToList())
        {
            while (waiting.TryPeek(out var first) && first.Deadline <= now)
            {
                waiting.Dequeue();
                _pendingCount--;
                first.Sender.Tell(new RemoteReplies.CommandFailed(command, $"no outcome within {PendingTimeout.TotalMinutes:0} minutes"));
            }

            if (waiting.Count == 0)
            {
                _pending.Remove(command);
            }
        }
    }

    private void Publish(RemoteEvents.IRemoteEvent message)
    {
        foreach (var subscriber in _subscribers)
        {
            subscriber.Tell(message);
        }
    }

    private sealed record Waiting(IActorRef Sender, DateTime Deadline);

    private sealed record Sweep
    {
        public static readonly Sweep Instance = new();

        private Sweep()
        {
        }
    }
}
