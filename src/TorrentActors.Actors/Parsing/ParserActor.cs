using Akka.Actor;
using Akka.Hosting;
using TorrentActors.Actors.Fetching;
using TorrentActors.Actors.Lifetime;
using TorrentActors.Actors.Making;
using TorrentActors.Actors.Monitoring;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Patrons;
using TorrentActors.Contracts.Input;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Output;

namespace TorrentActors.Actors.Parsing;

/// <summary>The actors a parsed instruction can go to.</summary>
public sealed record ParserRoutes(IActorRef Maker, IActorRef HttpFetcher, IActorRef FileFetcher, IActorRef Patrons, IActorRef Monitor, IActorRef Stdout, IActorRef Lifetime);

/// <summary>Thin actor over <see cref="InstructionParser"/>: routes each instruction, answers errors on stdout.</summary>
public sealed class ParserActor : ReceiveActor
{
    public ParserActor(NodeActorSettings settings, ParserRoutes routes)
    {
        Receive<InputEvents.LineRead>(line =>
        {
            var result = InstructionParser.Parse(line.Text, settings.TorrentDirectory, settings.WorkingDirectory);
            if (result.Error is { } error)
            {
                routes.Stdout.Tell(new NodeOutputs.Error(result.Command ?? line.Text, error));
                return;
            }

            IActorRef? target = result.Instruction switch
            {
                InstructionCommands.SeedPath => routes.Maker,
                InstructionCommands.FetchTorrentUrl => routes.HttpFetcher,
                InstructionCommands.FetchTorrentFile => routes.FileFetcher,
                InstructionCommands.StopTorrent or InstructionCommands.StartTorrent or InstructionCommands.RemoveTorrent => routes.Patrons,
                InstructionCommands.ReportStatus => routes.Monitor,
                _ => null,
            };
            target?.Tell(result.Instruction);
        });
        Receive<InputEvents.LineTooLong>(tooLong =>
            routes.Stdout.Tell(new NodeOutputs.Error(
                tooLong.Prefix + "…",
                $"the line is {tooLong.Length} characters; the limit is {settings.MaxLineChars}")));
        Receive<InputEvents.InputEnded>(ended => routes.Lifetime.Tell(ended));
    }
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
                registry.Get<PatronsActor>(),
                registry.Get<MonitorActor>(),
                registry.Get<StdoutActor>(),
                registry.Get<LifetimeActor>());
            registry.Register<ParserActor>(system.ActorOf(Props.Create(() => new ParserActor(settings, routes)), "parser"));
        });
}
