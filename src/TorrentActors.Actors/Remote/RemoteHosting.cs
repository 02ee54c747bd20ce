using Akka.Hosting;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Parsing;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Actors.Remote;

/// <summary>
/// The node's gateway actor. Remoting itself (serializer, strict serialization, TLS) is the client package's
/// <see cref="Client.TorrentRemotingHosting.WithTorrentRemoting"/>, the same for the node and for every client.
/// </summary>
public static class RemoteHosting
{
    /// <summary>The gateway at <see cref="RemoteProtocol.GatewayPath"/>; add it after the node's actors.</summary>
    public static AkkaConfigurationBuilder AddRemoteGateway(this AkkaConfigurationBuilder builder) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var props = GatewayActor.Props(
                resolver.GetService<NodeActorSettings>(),
                registry.Get<ParserActor>(),
                registry.Get<TorrentIntake>(),
                registry.Get<StdoutActor>());
            registry.Register<GatewayActor>(system.ActorOf(props, RemoteProtocol.GatewayName));
        });
}
