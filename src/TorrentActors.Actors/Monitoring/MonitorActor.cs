using System.Collections.Immutable;
using TorrentActors.Actors.Cluster;
using Akka.Actor;
using Akka.Hosting;
using TorrentActors.Actors.Lifetime;
using TorrentActors.Actors.Output;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;

namespace TorrentActors.Actors.Monitoring;

/// <summary>
/// Turns the patrons' status reports into <c>ID:NAME:PERCENT</c> lines, only when something changed.
/// The patrons' errors pass through here too, so they keep their order relative to the progress lines.
/// </summary>
public sealed class MonitorActor : ReceiveActor
{
    private MonitorState _state = MonitorState.Empty;
    private bool _complete;
    private ImmutableArray<ReplicaView> _cluster = [];

    public MonitorActor(IActorRef stdout, IActorRef lifetime)
    {
        Receive<TorrentEvents.StatusReported>(report =>
        {
            foreach (var line in MonitorState.Decide(_state, report))
            {
                _state = MonitorState.Apply(_state, line);
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
        Receive<ClusterStatus>(status => _cluster = status.Views);
        Receive<InstructionCommands.ReportStatus>(_ =>
        {
            foreach (var torrent in MonitorState.WithReplicas(_state, _cluster))
            {
                stdout.Tell(torrent);
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

public static class MonitorActorHosting
{
    public static AkkaConfigurationBuilder AddMonitorActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry) =>
        {
            var props = Props.Create(() => new MonitorActor(registry.Get<StdoutActor>(), registry.Get<LifetimeActor>()));
            registry.Register<MonitorActor>(system.ActorOf(props, "monitor"));
        });
}
