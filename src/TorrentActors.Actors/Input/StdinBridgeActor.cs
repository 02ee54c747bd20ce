using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using TorrentActors.Actors.Parsing;
using TorrentActors.Contracts.Input;

namespace TorrentActors.Actors.Input;

/// <summary>The node's stdin: a <see cref="TextReader"/> the host hands in (Console.In in production).</summary>
public sealed record StdinSource(TextReader Reader);

/// <summary>
/// Reads command lines on a long-running task (never inside a handler) and tells each one to the parser.
/// Lines are bounded (see <see cref="BoundedLineReader"/>); the end of input is told too.
/// </summary>
public sealed class StdinBridgeActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TextReader _reader;
    private readonly int _maxLineChars;
    private readonly IActorRef _parser;
    private readonly CancellationTokenSource _stopping = new();

    public StdinBridgeActor(TextReader reader, int maxLineChars, IActorRef parser)
    {
        _reader = reader;
        _maxLineChars = maxLineChars;
        _parser = parser;
        Receive<ReadingEnded>(_ => _log.Info("Stdin reader finished"));
        Receive<Status.Failure>(failure =>
        {
            _log.Error(failure.Cause, "Reading stdin failed; no more commands will be read");
            _parser.Tell(InputEvents.InputEnded.Instance);
        });
    }

    protected override void PreStart()
    {
        var parser = _parser;
        var reader = _reader;
        var max = _maxLineChars;
        var token = _stopping.Token;
        Task.Factory.StartNew(
                () => BoundedLineReader.Run(reader, max, e => parser.Tell(e), token),
                token,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default)
            .PipeTo(Self, success: () => ReadingEnded.Instance);
    }

    protected override void PostStop()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private sealed record ReadingEnded
    {
        public static readonly ReadingEnded Instance = new();

        private ReadingEnded()
        {
        }
    }
}

public static class StdinBridgeActorHosting
{
    public static AkkaConfigurationBuilder AddStdinBridgeActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var source = resolver.GetService<StdinSource>();
            var settings = resolver.GetService<NodeActorSettings>();
            var parser = registry.Get<ParserActor>();
            var props = Props.Create(() => new StdinBridgeActor(source.Reader, settings.MaxLineChars, parser));
            registry.Register<StdinBridgeActor>(system.ActorOf(props, "stdin"));
        });
}
