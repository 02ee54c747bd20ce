using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Patrons;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Fetching;

/// <summary><c>torrent:PATH</c>: reads the .torrent (size limit, content checked) and hands it to the patrons.</summary>
public sealed class FileFetcherActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public FileFetcherActor(NodeActorSettings settings, IActorRef patrons, IActorRef stdout)
    {
        Receive<InstructionCommands.FetchTorrentFile>(fetch =>
            Task.Run(() => TorrentFetching.ReadFileAsync(fetch.Path, settings.MaxTorrentFileBytes)).PipeTo(
                Self,
                success: torrent => new Fetched(fetch.Command, torrent),
                failure: ex => new FetchFailed(fetch.Command, ex)));
        Receive<Fetched>(fetched =>
            patrons.Tell(new TorrentCommands.OpenTorrent(fetched.Command, fetched.Torrent, settings.DownloadDirectory, DataVerified: false)));
        Receive<FetchFailed>(failed =>
        {
            _log.Warning(failed.Exception, "{0} failed", failed.Command);
            stdout.Tell(new NodeOutputs.Error(failed.Command, ErrorText.Describe(failed.Exception)));
        });
    }

    private sealed record Fetched(string Command, Torrent Torrent);

    private sealed record FetchFailed(string Command, Exception Exception);
}

public static class FileFetcherActorHosting
{
    public static AkkaConfigurationBuilder AddFileFetcherActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var props = Props.Create(() => new FileFetcherActor(
                resolver.GetService<NodeActorSettings>(),
                registry.Get<PatronsActor>(),
                registry.Get<StdoutActor>()));
            registry.Register<FileFetcherActor>(system.ActorOf(props, "file-fetcher"));
        });
}
