using System.Security.Cryptography.X509Certificates;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;
using TorrentActors.Actors.Output;
using TorrentActors.Actors.Parsing;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Actors.Remote;

/// <summary>Remoting for nodes and clients alike, and the node's gateway actor.</summary>
public static class RemoteHosting
{
    /// <summary>
    /// Akka.Remote over DotNetty TCP with: strict serialization (only the remote protocol's messages are bound, to
    /// <see cref="RemoteProtocolSerializer"/>), Newtonsoft JSON replaced by <see cref="RefusingSerializer"/> so unbound
    /// types are refused on receipt too, a frame limit, no SO_REUSEADDR (two nodes cannot share a port), and TLS with
    /// a pinned certificate when <see cref="RemoteSettings.CertificatePath"/> is set.
    /// </summary>
    public static AkkaConfigurationBuilder WithTorrentRemoting(this AkkaConfigurationBuilder builder, RemoteSettings settings)
    {
        var options = new RemoteOptions
        {
            HostName = settings.Host,
            Port = settings.Port,
            PublicHostName = string.IsNullOrEmpty(settings.PublicHost) ? null : settings.PublicHost,
            MaxFrameSize = settings.MaxFrameBytes,
        };
        if (settings.CertificatePath is { } path)
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, settings.CertificatePassword);
            options.EnableSsl = true;
            options.Ssl = new SslOptions
            {
                X509Certificate = certificate,
                SuppressValidation = false,
                RequireMutualAuthentication = true,
                ValidateCertificateHostname = false,
                CustomValidator = CertificateValidation.PinnedCertificate(certificate.Thumbprint),
            };
        }

        var refusing = typeof(RefusingSerializer).AssemblyQualifiedName!;
        return builder
            .WithRemoting(options)
            .AddHocon(
                $"""
                akka.remote.dot-netty.tcp.tcp-reuse-addr = off
                akka.actor.serializers.json = "{refusing}"
                akka.actor.serialization-identifiers."{refusing}" = {RefusingSerializer.NewtonsoftIdentifier}
                """,
                HoconAddMode.Prepend)
            .WithCustomSerializer(
                RemoteProtocolSerializer.SerializerName,
                [typeof(IRemoteProtocolMessage)],
                system => new RemoteProtocolSerializer(system))
            .WithStrictSerialization();
    }

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
