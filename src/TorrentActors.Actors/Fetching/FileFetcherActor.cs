using Akka.Actor;
using Akka.Hosting;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Patrons;
using TorrentActors.Contracts.Instructions;

namespace TorrentActors.Actors.Fetching;

/// <summary><c>torrent:PATH</c>: reads the .torrent (size limit, content checked) and hands it to the patrons.</summary>
public sealed class FileFetcherActor : TorrentFetcherActor
{
    public FileFetcherActor(NodeActorSettings settings, IActorRef patrons, IActorRef stdout)
        : base(settings, patrons, stdout)
    {
        Receive<InstructionCommands.FetchTorrentFile>(fetch =>
            Complete(fetch, Task.Run(() => TorrentFetching.ReadFileAsync(fetch.Path, settings.MaxTorrentFileBytes))));
    }
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
