using Akka.Actor;
using Akka.Hosting;
using TorrentActors.Actors.Fetching;
using TorrentActors.Actors.Lifetime;
using TorrentActors.Actors.Making;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Patrons;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Input;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Actors.Parsing;

/// <summary>The actors a parsed instruction can go to.</summary>
public sealed record ParserRoutes(IActorRef Maker, IActorRef HttpFetcher, IActorRef FileFetcher, IActorRef Intake, IActorRef Monitor, IActorRef Stdout, IActorRef Lifetime);

/// <summary>
/// A command from a remote client (the gateway's), to be resolved and routed exactly like its line on stdin; the
/// instruction and every outcome of it carry <paramref name="Request"/>.
/// </summary>
public sealed record RemoteCommandReceived(RemoteCommands.IRemoteCommand Command, RequestId Request);

/// <summary>
/// Thin actor over <see cref="InstructionParser"/>: routes each instruction, answers errors on stdout. A command that
/// adds a torrent (<c>file:</c>, <c>torrent:</c>) first has the intake reserve its ID (<see cref="ReserveId"/>), so IDs
/// follow the order commands arrive in, whichever command's work finishes first; a line from stdin gets a request of its
/// own for that.
/// </summary>
public sealed class ParserActor : ReceiveActor
{
    public ParserActor(NodeActorSettings settings, ParserRoutes routes)
    {
        Receive<InputEvents.LineRead>(line =>
            Route(InstructionParser.Parse(line.Text, settings.TorrentDirectory, settings.WorkingDirectory), line.Text, RequestId.None, routes));
        Receive<RemoteCommandReceived>(remote =>
            Route(InstructionParser.Resolve(remote.Command, remote.Request, settings.TorrentDirectory, settings.WorkingDirectory), remote.Command.GetType().Name, remote.Request, routes));
        Receive<InputEvents.LineTooLong>(tooLong =>
            routes.Stdout.Tell(new NodeOutputs.Error(
                tooLong.Prefix + "…",
                $"the line is {tooLong.Length} characters; the limit is {settings.MaxLineChars}",
                RequestId.None)));
        Receive<InputEvents.InputEnded>(ended => routes.Lifetime.Tell(ended));
    }

    private static void Route(ParseResult result, string fallbackCommand, RequestId request, ParserRoutes routes)
    {
        if (result.Error is { } error)
        {
            routes.Stdout.Tell(new NodeOutputs.Error(result.Command ?? fallbackCommand, error, request));
            return;
        }

        IActorRef? target = result.Instruction switch
        {
            InstructionCommands.SeedPath => routes.Maker,
            InstructionCommands.FetchTorrentUrl => routes.HttpFetcher,
            InstructionCommands.FetchTorrentFile => routes.FileFetcher,
            InstructionCommands.StopTorrent or InstructionCommands.StartTorrent or InstructionCommands.RemoveTorrent => routes.Intake,
            InstructionCommands.ReportStatus => routes.Monitor,
            _ => null,
        };
        if (target is null || result.Instruction is not { } parsed)
        {
            return;
        }

        // A command that adds a torrent has its ID reserved before its work starts (a stdin line gets a request for it).
        InstructionCommands.IInstruction? adding = parsed switch
        {
            InstructionCommands.SeedPath seed => seed with { Request = Own(seed.Request) },
            InstructionCommands.FetchTorrentUrl url => url with { Request = Own(url.Request) },
            InstructionCommands.FetchTorrentFile file => file with { Request = Own(file.Request) },
            _ => null,
        };
        if (adding is not null)
        {
            routes.Intake.Tell(new ReserveId(adding.Request));
        }

        target.Tell(adding ?? parsed);
    }

    private static RequestId Own(RequestId request) => request.IsNone ? RequestId.New() : request;
}

public static class ParserActorHosting
{
    public static AkkaConfigurationBuilder AddParserActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var settings = resolver.GetService<NodeActorSettings>();
            var routes = new ParserRoutes(
                registry.Get<MakerActor>(),
                registry.Get<HttpFetcherActor>(),
                registry.Get<FileFetcherActor>(),
                registry.Get<TorrentIntake>(),
                registry.Get<MonitorActor>(),
                registry.Get<StdoutActor>(),
                registry.Get<LifetimeActor>());
            registry.Register<ParserActor>(system.ActorOf(Props.Create(() => new ParserActor(settings, routes)), "parser"));
        });
}
