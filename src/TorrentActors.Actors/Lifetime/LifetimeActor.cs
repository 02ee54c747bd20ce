using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Patrons;
using TorrentActors.Contracts.Input;

namespace TorrentActors.Actors.Lifetime;

/// <summary>Every torrent on the node is at 100%.</summary>
public sealed record AllTorrentsComplete
{
    public static readonly AllTorrentsComplete Instance = new();

    private AllTorrentsComplete()
    {
    }
}

/// <summary>
/// Why the node stopped on its own because it could not go on (null while it can); the host turns it into a
/// non-zero exit code. Set once, from any thread.
/// </summary>
public sealed class NodeFailure
{
    private string? _reason;

    public string? Reason => Volatile.Read(ref _reason);

    public void Report(string reason) => Interlocked.CompareExchange(ref _reason, reason, null);
}

/// <summary>
/// Decides when the node ends on its own: at the end of stdin with <c>--exit-on-eof</c>, or once everything is
/// complete with <c>--exit-when-complete</c>. It flushes stdout first, then asks the host to stop (exit code 0).
/// </summary>
public sealed class LifetimeActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _stopping;

    public LifetimeActor(NodeActorSettings settings, IActorRef stdout, IHostApplicationLifetime lifetime, NodeFailure failure)
    {
        Receive<RegistryUnreadable>(unreadable =>
        {
            // A node that cannot keep its registry would forget what it answered: it stops, with a non-zero exit.
            failure.Report($"the torrent registry in {unreadable.DatabasePath ?? "memory"} cannot be used: {unreadable.Reason}. " +
                "Move the file away to start with an empty registry (the node never overwrites it)");
            StopAfterFlush(stdout);
        });
        Receive<InputEvents.InputEnded>(_ =>
        {
            if (settings.ExitOnEndOfInput)
            {
                _log.Info("End of input: shutting down (--exit-on-eof)");
                StopAfterFlush(stdout);
            }
            else
            {
                _log.Info("End of input: no more commands; the node keeps running");
            }
        });
        Receive<AllTorrentsComplete>(_ =>
        {
            if (settings.ExitWhenComplete)
            {
                _log.Info("Every torrent is complete: shutting down (--exit-when-complete)");
                StopAfterFlush(stdout);
            }
        });
        Receive<OutputFlushed>(_ => lifetime.StopApplication());
        Receive<Status.Failure>(failure =>
        {
            _log.Warning(failure.Cause, "stdout did not confirm its flush; stopping anyway");
            lifetime.StopApplication();
        });
    }

    protected override void PreStart() => Context.System.EventStream.Subscribe(Self, typeof(RegistryUnreadable));

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);

    private void StopAfterFlush(IActorRef stdout)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        stdout.Ask<OutputFlushed>(FlushOutput.Instance, TimeSpan.FromSeconds(10)).PipeTo(Self);
    }
}

public static class LifetimeActorHosting
{
    public static AkkaConfigurationBuilder AddLifetimeActor(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var props = Props.Create(() => new LifetimeActor(
                resolver.GetService<NodeActorSettings>(),
                registry.Get<StdoutActor>(),
                resolver.GetService<IHostApplicationLifetime>(),
                resolver.GetService<NodeFailure>()));
            registry.Register<LifetimeActor>(system.ActorOf(props, "lifetime"));
        });
}
