using Akka.Actor;
using Akka.Event;
using Akka.Hosting;
using Microsoft.Extensions.Hosting;
using TorrentActors.Actors.Output;
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
/// Decides when the node ends on its own: at the end of stdin with <c>--exit-on-eof</c>, or once everything is
/// complete with <c>--exit-when-complete</c>. It flushes stdout first, then asks the host to stop (exit code 0).
/// </summary>
public sealed class LifetimeActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private bool _stopping;

    public LifetimeActor(NodeActorSettings settings, IActorRef stdout, IHostApplicationLifetime lifetime)
    {
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
                resolver.GetService<IHostApplicationLifetime>()));
            registry.Register<LifetimeActor>(system.ActorOf(props, "lifetime"));
        });
}
