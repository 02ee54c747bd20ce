using Akka.Actor;
using Akka.Hosting;
using TorrentActors.Actors.Output;
using TorrentActors.Contracts.Instructions;

namespace TorrentActors.Actors.Fetching;

/// <summary><c>torrent:PATH</c>: reads the .torrent (size limit, content checked) and hands it to the intake (<see cref="TorrentIntake"/>).</summary>
public sealed class FileFetcherActor : TorrentFetcherActor
{
    public FileFetcherActor(NodeActorSettings settings, IActorRef intake, IActorRef stdout)
        : base(settings, intake, stdout)
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
                registry.Get<TorrentIntake>(),
                registry.Get<StdoutActor>()));
            registry.Register<FileFetcherActor>(system.ActorOf(props, "file-fetcher"));
        });
}
