using System.Globalization;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Client;

/// <summary>The node is not there, does not answer, or refused us.</summary>
public sealed class RemoteNodeException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// A small actor system of its own (remoting on 127.0.0.1, any port, same serializer) that finds a node's gateway
/// with <see cref="Identify"/> under a deadline and asks it commands. Used by <c>send</c>, <c>watch</c> and <c>status</c>,
/// and by any .NET program that references this package.
/// </summary>
public sealed class RemoteClient : IAsyncDisposable
{
    public const string PlainProtocol = "akka.tcp";

    /// <summary>The scheme of a node with TLS on.</summary>
    public const string TlsProtocol = "akka.ssl.tcp";

    private const string Hint = "is the node running, with remoting on, and the same TLS certificate on both sides?";

    private readonly IHost _host;

    /// <summary>Subscriptions made so far: each gets its own actor, <c>subscriber-N</c>.</summary>
    private int _subscriptions;

    private RemoteClient(IHost host, IActorRef gateway, Address node)
    {
        _host = host;
        Gateway = gateway;
        Node = node;
        System = host.Services.GetRequiredService<ActorSystem>();
    }

    public ActorSystem System { get; }

    public IActorRef Gateway { get; }

    public Address Node { get; }

    /// <summary>Starts the client system and finds the gateway of <paramref name="node"/> (<c>akka.tcp://torrentactors@HOST:PORT</c>).</summary>
    /// <exception cref="FormatException">The address is not a node address.</exception>
    /// <exception cref="RemoteNodeException">No gateway answered within <paramref name="timeout"/>.</exception>
    public static async Task<RemoteClient> ConnectAsync(string node, RemoteSettings settings, TimeSpan timeout, ILoggerProvider? logs = null)
    {
        var address = ParseNodeAddress(node);
        if (settings.CertificatePath is not null && address.Protocol == PlainProtocol)
        {
            address = address.WithProtocol(TlsProtocol);
        }
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Services.AddAkka(RemoteProtocol.SystemName + "-client", akka => akka
            .AddHocon("akka.stdout-loglevel = OFF\nakka.log-dead-letters = off\nakka.log-dead-letters-during-shutdown = off", HoconAddMode.Prepend)
            .ConfigureLoggers(loggers =>
            {
                // Stdout is the client's output: Akka's own chatter stays out of it, problems go to the given logs.
                loggers.LogLevel = logs is null ? Akka.Event.LogLevel.ErrorLevel : Akka.Event.LogLevel.WarningLevel;
                loggers.ClearLoggers();
                loggers.AddLogger<AkkaLogBridge>();
            })
            .WithTorrentRemoting(settings with { Port = 0 }));
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var system = host.Services.GetRequiredService<ActorSystem>();
        try
        {
            var selection = system.ActorSelection(address + RemoteProtocol.GatewayPath);
            var identity = await selection.Ask<ActorIdentity>(new Identify(null), timeout).ConfigureAwait(false);
            if (identity.Subject is not { } gateway)
            {
                throw new RemoteNodeException($"no remote gateway at {address} ({Hint})");
            }

            return new RemoteClient(host, gateway, address);
        }
        catch (AskTimeoutException ex)
        {
            await StopAsync(host).ConfigureAwait(false);
            throw new RemoteNodeException($"no answer from {address} within {timeout.TotalSeconds:0.#} s ({Hint})", ex);
        }
        catch (RemoteNodeException)
        {
            await StopAsync(host).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Parses and checks a node address: the <c>akka.tcp</c> scheme, the system name, a host and a port.</summary>
    public static Address ParseNodeAddress(string node)
    {
        Address address;
        try
        {
            address = Address.Parse(node.Trim());
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException or FormatException)
        {
            throw new FormatException($"'{node}' is not a node address (akka.tcp://{RemoteProtocol.SystemName}@HOST:PORT, or akka.ssl.tcp://... with TLS)", ex);
        }

        if (address.Protocol is not (PlainProtocol or TlsProtocol) || address.System != RemoteProtocol.SystemName || address.Host is null || address.Port is null or <= 0)
        {
            throw new FormatException($"'{node}' is not a node address (akka.tcp://{RemoteProtocol.SystemName}@HOST:PORT, or akka.ssl.tcp://... with TLS)");
        }

        return address;
    }

    /// <summary>Sends a command; the reply, or <see cref="RemoteNodeException"/> when none comes in time.</summary>
    public async Task<RemoteReplies.IRemoteReply> AskAsync(RemoteCommands.IRemoteCommand command, TimeSpan timeout)
    {
        try
        {
            return await Gateway.Ask<RemoteReplies.IRemoteReply>(command, timeout).ConfigureAwait(false);
        }
        catch (AskTimeoutException ex)
        {
            throw new RemoteNodeException($"no reply from {Node} within {timeout.TotalSeconds:0.#} s", ex);
        }
    }

    /// <summary>
    /// Subscribes to the node's events. The channel gets the <see cref="RemoteReplies.Subscribed"/> snapshot first,
    /// then every <see cref="RemoteEvents"/> message; it ends with a message whose <see cref="RemoteProtocolMessageOrEnd.End"/>
    /// says why if the node goes away. Any number of subscriptions, at once from any thread, each with its own channel.
    /// </summary>
    public ChannelReader<RemoteProtocolMessageOrEnd> Subscribe()
    {
        var channel = Channel.CreateUnbounded<RemoteProtocolMessageOrEnd>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var name = "subscriber-" + Interlocked.Increment(ref _subscriptions).ToString(CultureInfo.InvariantCulture);
        System.ActorOf(Props.Create(() => new SubscriberActor(Gateway, Node, channel.Writer)), name);
        return channel.Reader;
    }

    public async ValueTask DisposeAsync() => await StopAsync(_host).ConfigureAwait(false);

    private static async Task StopAsync(IHost host)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await host.StopAsync(deadline.Token).ConfigureAwait(false);
        host.Dispose();
    }

    private sealed class SubscriberActor : ReceiveActor
    {
        public SubscriberActor(IActorRef gateway, Address node, ChannelWriter<RemoteProtocolMessageOrEnd> writer)
        {
            Receive<IRemoteProtocolMessage>(message => writer.TryWrite(new RemoteProtocolMessageOrEnd(message, null)));
            Receive<Terminated>(_ =>
            {
                writer.TryWrite(new RemoteProtocolMessageOrEnd(null, $"the node at {node} went away"));
                writer.TryComplete();
                Context.Stop(Self);
            });
            Context.Watch(gateway);
            gateway.Tell(RemoteCommands.Subscribe.Instance);
        }
    }
}

/// <summary>A message from the node, or the reason the subscription ended.</summary>
public sealed record RemoteProtocolMessageOrEnd(IRemoteProtocolMessage? Message, string? End);
