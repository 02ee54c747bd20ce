using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Writing;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Making;

/// <summary>
/// <c>file:PATH</c>: hashes the file or folder off the actor thread (announce = the node's tracker) and hands the
/// torrent to the writer, which publishes it and passes it to the patrons to seed in place.
/// </summary>
public sealed class MakerActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public MakerActor(NodeActorSettings settings, IActorRef writer, IActorRef stdout)
    {
        var options = new TorrentMakerOptions
        {
            AnnounceTiers = settings.AnnounceUrl is { } announce ? [[announce]] : [],
        };

        Receive<InstructionCommands.SeedPath>(seed =>
        {
            var path = Path.TrimEndingDirectorySeparator(seed.Path);
            if (!File.Exists(path) && !Directory.Exists(path))
            {
                stdout.Tell(new NodeOutputs.Error(seed.Command, "no such file", seed.Request));
                return;
            }

            var dataDirectory = Path.GetDirectoryName(path) ?? path;
            _log.Info("Making a torrent of {0}", path);
            Task.Run(() => TorrentMaker.CreateAsync(path, options)).PipeTo(
                Self,
                success: torrent => new Made(seed.Command, seed.Request, torrent, dataDirectory),
                failure: ex => new MakeFailed(seed.Command, seed.Request, ex));
        });
        Receive<Made>(made =>
        {
            _log.Info("Made {0} ({1})", made.Torrent.Name, made.Torrent.InfoHash);
            writer.Tell(new TorrentCommands.PublishTorrent(made.Command, made.Torrent, made.DataDirectory, made.Request));
        });
        Receive<MakeFailed>(failed =>
        {
            _log.Warning(failed.Exception, "Making a torrent for {0} failed", failed.Command);
            stdout.Tell(new NodeOutputs.Error(failed.Command, ErrorText.Describe(failed.Exception), failed.Request));
        });
    }

    private sealed record Made(string Command, RequestId Request, Torrent Torrent, string DataDirectory);

    private sealed record MakeFailed(string Command, RequestId Request, Exception Exception);
}

public static class MakerActorHosting
{
    public static AkkaConfigurationBuilder AddMakerActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var props = Props.Create(() => new MakerActor(
                resolver.GetService<NodeActorSettings>(),
                registry.Get<TorrentWriterActor>(),
                registry.Get<StdoutActor>()));
            registry.Register<MakerActor>(system.ActorOf(props, "maker"));
        });
}
