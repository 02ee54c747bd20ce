using Akka.Actor;
using Akka.Event;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Fetching;

/// <summary>
/// What the fetchers share: a fetch runs off the actor thread and comes back as a message; a torrent goes to the
/// intake (<see cref="TorrentIntake"/>) to be downloaded, a failure becomes an <c>error:</c> line naming the command.
/// </summary>
public abstract class TorrentFetcherActor : ReceiveActor
{
    protected TorrentFetcherActor(NodeActorSettings settings, IActorRef intake, IActorRef stdout)
    {
        Receive<Fetched>(fetched =>
            intake.Tell(new TorrentCommands.OpenTorrent(fetched.Command, fetched.Torrent, settings.DownloadDirectory, DataVerified: false, fetched.Request)));
        Receive<FetchFailed>(failed =>
        {
            Log.Warning(failed.Exception, "{0} failed", failed.Command);
            stdout.Tell(new NodeOutputs.Error(failed.Command, ErrorText.Describe(failed.Exception), failed.Request));
        });
    }

    protected ILoggingAdapter Log { get; } = Context.GetLogger();

    /// <summary>Pipes the outcome of <paramref name="fetch"/> back to this actor, tagged with the instruction it answers.</summary>
    protected void Complete(InstructionCommands.IInstruction instruction, Task<Torrent> fetch) =>
        fetch.PipeTo(
            Self,
            success: torrent => new Fetched(instruction.Command, instruction.Request, torrent),
            failure: ex => new FetchFailed(instruction.Command, instruction.Request, ex));

    private sealed record Fetched(string Command, RequestId Request, Torrent Torrent);

    private sealed record FetchFailed(string Command, RequestId Request, Exception Exception);
}
