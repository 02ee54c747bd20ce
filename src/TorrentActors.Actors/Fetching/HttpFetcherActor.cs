using System.Net.Http;
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

/// <summary><c>torrent:http(s)://...</c>: fetches the .torrent (time, redirect and size limits) and hands it to the patrons.</summary>
public sealed class HttpFetcherActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public HttpFetcherActor(NodeActorSettings settings, IHttpClientFactory clients, IActorRef patrons, IActorRef stdout)
    {
        Receive<InstructionCommands.FetchTorrentUrl>(fetch =>
        {
            _log.Info("Fetching {0}", fetch.Url);
            var client = clients.CreateClient(TorrentFetching.HttpClientName);
            TorrentFetching.FetchHttpAsync(client, fetch.Url, settings.MaxTorrentFileBytes, settings.HttpTimeout).PipeTo(
                Self,
                success: torrent => new Fetched(fetch.Command, torrent),
                failure: ex => new FetchFailed(fetch.Command, ex));
        });
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

public static class HttpFetcherActorHosting
{
    public static AkkaConfigurationBuilder AddHttpFetcherActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var props = Props.Create(() => new HttpFetcherActor(
                resolver.GetService<NodeActorSettings>(),
                resolver.GetService<IHttpClientFactory>(),
                registry.Get<PatronsActor>(),
                registry.Get<StdoutActor>()));
            registry.Register<HttpFetcherActor>(system.ActorOf(props, "http-fetcher"));
        });
}
