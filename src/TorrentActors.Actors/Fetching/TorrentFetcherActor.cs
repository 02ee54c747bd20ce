using Akka.Actor;
using Akka.Event;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Fetching;

/// <summary>
/// What the fetchers share: a fetch runs off the actor thread and comes back as a message; a torrent goes to the
/// patrons to be downloaded, a failure becomes an <c>error:</c> line naming the command.
/// </summary>
public abstract class TorrentFetcherActor : ReceiveActor
{
    protected TorrentFetcherActor(NodeActorSettings settings, IActorRef patrons, IActorRef stdout)
    {
        Receive<Fetched>(fetched =>
            patrons.Tell(new TorrentCommands.OpenTorrent(fetched.Command, fetched.Torrent, settings.DownloadDirectory, DataVerified: false)));
        Receive<FetchFailed>(failed =>
        {
            Log.Warning(failed.Exception, "{0} failed", failed.Command);
            stdout.Tell(new NodeOutputs.Error(failed.Command, ErrorText.Describe(failed.Exception)));
        });
    }

    protected ILoggingAdapter Log { get; } = Context.GetLogger();

    /// <summary>Pipes the outcome of <paramref name="fetch"/> back to this actor, tagged with the command.</summary>
    protected void Complete(string command, Task<Torrent> fetch) =>
        fetch.PipeTo(
            Self,
            success: torrent => new Fetched(command, torrent),
            failure: ex => new FetchFailed(command, ex));

    private sealed record Fetched(string Command, Torrent Torrent);

    private sealed record FetchFailed(string Command, Exception Exception);
}
