using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using TorrentActors.Actors.Output;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;

namespace TorrentActors.Actors.Writing;

/// <summary>
/// Publishes made torrents as <c>TORRENTDIR/NAME.torrent</c> (atomically, see <see cref="TorrentFileStore"/>) and then
/// passes them to the intake (<see cref="TorrentIntake"/>: the patrons, or the cluster's catalog first) to seed in place. A name already taken by a different torrent is an error and the
/// file is not seeded, so what the tracker serves under that name always matches what this node seeds.
/// </summary>
public sealed class TorrentWriterActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public TorrentWriterActor(NodeActorSettings settings, IActorRef intake, IActorRef stdout)
    {
        Receive<TorrentCommands.PublishTorrent>(publish =>
        {
            var path = TorrentFileStore.PathFor(settings.TorrentDirectory, publish.Torrent);
            PublishResult result;
            try
            {
                result = TorrentFileStore.Publish(settings.TorrentDirectory, publish.Torrent);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _log.Warning(ex, "Writing {0} failed", path);
                stdout.Tell(new NodeOutputs.Error(publish.Command, $"cannot write {path}: {ErrorText.Describe(ex)}", publish.Request));
                return;
            }

            if (result == PublishResult.Conflict)
            {
                stdout.Tell(new NodeOutputs.Error(publish.Command, $"{path} already holds a different torrent; not overwritten", publish.Request));
                return;
            }

            _log.Info("{0} {1}", result == PublishResult.Written ? "Wrote" : "Kept the identical", path);
            intake.Tell(new TorrentCommands.OpenTorrent(publish.Command, publish.Torrent, publish.DataDirectory, DataVerified: true, publish.Request, SeededInPlace: true));
        });
    }
}

public static class TorrentWriterActorHosting
{
    public static AkkaConfigurationBuilder AddTorrentWriterActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var props = Props.Create(() => new TorrentWriterActor(
                resolver.GetService<NodeActorSettings>(),
                registry.Get<TorrentIntake>(),
                registry.Get<StdoutActor>()));
            registry.Register<TorrentWriterActor>(system.ActorOf(props, "writer"));
        });
}
