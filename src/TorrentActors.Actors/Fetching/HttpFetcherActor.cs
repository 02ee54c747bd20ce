using System.Net.Http;
using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using TorrentActors.Actors.Output;
using TorrentActors.Contracts.Instructions;

namespace TorrentActors.Actors.Fetching;

/// <summary><c>torrent:http(s)://...</c>: fetches the .torrent (time, redirect and size limits) and hands it to the intake (<see cref="TorrentIntake"/>).</summary>
public sealed class HttpFetcherActor : TorrentFetcherActor
{
    public HttpFetcherActor(NodeActorSettings settings, IHttpClientFactory clients, IActorRef intake, IActorRef stdout)
        : base(settings, intake, stdout)
    {
        Receive<InstructionCommands.FetchTorrentUrl>(fetch =>
        {
            Log.Info("Fetching {0}", fetch.Url);
            var client = clients.CreateClient(TorrentFetching.HttpClientName);
            Complete(fetch, TorrentFetching.FetchHttpAsync(client, fetch.Url, settings.MaxTorrentFileBytes, settings.HttpTimeout));
        });
    }
}

public static class HttpFetcherActorHosting
{
    public static AkkaConfigurationBuilder AddHttpFetcherActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var props = Props.Create(() => new HttpFetcherActor(
                resolver.GetService<NodeActorSettings>(),
                resolver.GetService<IHttpClientFactory>(),
                registry.Get<TorrentIntake>(),
                registry.Get<StdoutActor>()));
            registry.Register<HttpFetcherActor>(system.ActorOf(props, "http-fetcher"));
        });
}
