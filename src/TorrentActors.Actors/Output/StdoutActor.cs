using Akka.Actor;
using Akka.Hosting;
using TorrentActors.Contracts.Output;

namespace TorrentActors.Actors.Output;

/// <summary>The node's stdout: a <see cref="TextWriter"/> the host hands in (Console.Out in production).</summary>
public sealed record StdoutTarget(TextWriter Writer);

/// <summary>The only writer to stdout: one flushed line per message, text or JSON.</summary>
public sealed class StdoutActor : ReceiveActor
{
    public const string DispatcherId = "torrentactors.stdout-dispatcher";

    public StdoutActor(TextWriter writer, bool json)
    {
        Receive<NodeOutputs.INodeOutput>(output =>
        {
            writer.Write(OutputFormat.Format(output, json) + "\n");
            writer.Flush();
            Context.System.EventStream.Publish(output);
        });
        Receive<FlushOutput>(_ =>
        {
            writer.Flush();
            Sender.Tell(OutputFlushed.Instance);
        });
    }

    public static Props Props(TextWriter writer, bool json) =>
        Akka.Actor.Props.Create(() => new StdoutActor(writer, json)).WithDispatcher(DispatcherId);
}

/// <summary>Asks the stdout actor to confirm that everything sent before has been written.</summary>
public sealed record FlushOutput
{
    public static readonly FlushOutput Instance = new();

    private FlushOutput()
    {
    }
}

public sealed record OutputFlushed
{
    public static readonly OutputFlushed Instance = new();

    private OutputFlushed()
    {
    }
}

public static class StdoutActorHosting
{
    public static AkkaConfigurationBuilder AddStdoutActor(this AkkaConfigurationBuilder builder) =>
        builder
            .AddHocon($"{StdoutActor.DispatcherId} {{ type = PinnedDispatcher }}", HoconAddMode.Prepend)
            .WithActors((system, registry, resolver) =>
            {
                var target = resolver.GetService<StdoutTarget>();
                var settings = resolver.GetService<NodeActorSettings>();
                registry.Register<StdoutActor>(system.ActorOf(StdoutActor.Props(target.Writer, settings.Json), "stdout"));
            });
}
