using System.Collections.Immutable;
using Akka.Actor;
using Akka.Hosting;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Lifetime;
using TorrentActors.Actors.Output;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;

namespace TorrentActors.Actors.Monitoring;

/// <summary>
/// Turns the patrons' status reports into <c>ID:NAME:PERCENT</c> lines, only when something changed.
/// The patrons' errors and answer lines pass through here too, so they keep their order relative to the progress lines. In a cluster a
/// torrent's first line may come from the member that took the command (<see cref="FirstLine"/>) before, or without,
/// a local copy: it is written once either way.
/// </summary>
public sealed class MonitorActor : ReceiveActor
{
    private MonitorState _state = MonitorState.Empty;
    private bool _complete;
    private ImmutableArray<ReplicaView> _cluster = [];
    private readonly HashSet<int> _announced = [];

    public MonitorActor(IActorRef stdout, IActorRef lifetime)
    {
        Receive<TorrentEvents.StatusReported>(report =>
        {
            foreach (var line in MonitorState.Decide(_state, report))
            {
                _state = MonitorState.Apply(_state, line);
                if (line.Percent == -1 && !_announced.Add(line.Id.Value))
                {
                    continue;
                }

                stdout.Tell(line);
            }

            _state = MonitorState.Refresh(_state, report);
            NotifyIfComplete(lifetime);
        });
        Receive<TorrentEvents.TorrentForgotten>(forgotten =>
        {
            _state = MonitorState.Forget(_state, forgotten.Id);
            NotifyIfComplete(lifetime);
        });
        Receive<NodeOutputs.Error>(error => stdout.Tell(error));
        Receive<NodeOutputs.Answer>(answer => stdout.Tell(answer));
        Receive<ClusterStatus>(status => _cluster = status.Views);
        Receive<FirstLine>(first =>
        {
            if (first.Again || (!_state.Torrents.ContainsKey(first.Line.Id) && _announced.Add(first.Line.Id.Value)))
            {
                stdout.Tell(first.Line);
            }
        });
        Receive<InstructionCommands.ReportStatus>(_ =>
        {
            foreach (var torrent in MonitorState.WithReplicas(_state, _cluster))
            {
                stdout.Tell(torrent with { StatusReply = true });
            }
        });
    }

    private void NotifyIfComplete(IActorRef lifetime)
    {
        var complete = _state.AllComplete;
        if (complete && !_complete)
        {
            lifetime.Tell(AllTorrentsComplete.Instance);
        }

        _complete = complete;
    }
}

/// <summary>
/// A torrent's first line (<c>ID:NAME:-1</c>) from the member that took its command, written unless already written;
/// <paramref name="Again"/>: the answer to a command that named a torrent the cluster has already, written whatever.
/// </summary>
public sealed record FirstLine(NodeOutputs.Progress Line, bool Again = false);

public static class MonitorActorHosting
{
    public static AkkaConfigurationBuilder AddMonitorActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry) =>
        {
            var props = Props.Create(() => new MonitorActor(registry.Get<StdoutActor>(), registry.Get<LifetimeActor>()));
            registry.Register<MonitorActor>(system.ActorOf(props, "monitor"));
        });
}
