using System.Security.Cryptography.X509Certificates;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Akka.Remote.Transport.DotNetty;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Client;

/// <summary>Remoting that speaks a node's remote protocol, for nodes and clients alike.</summary>
public static class TorrentRemotingHosting
{
    /// <summary>
    /// Akka.Remote over DotNetty TCP with: strict serialization (only the remote protocol's messages are bound, to
    /// <see cref="RemoteProtocolSerializer"/>), Newtonsoft JSON replaced by <see cref="RefusingSerializer"/> so unbound
    /// types are refused on receipt too, a frame limit, no SO_REUSEADDR (two systems cannot share a port), and TLS with
    /// a pinned certificate when <see cref="RemoteSettings.CertificatePath"/> is set. A program that talks to a node
    /// calls this on its own Akka.Hosting builder (with <c>Port = 0</c>), then sends <see cref="RemoteCommands"/> to
    /// <c>akka.tcp://torrentactors@HOST:PORT/user/torrents</c>; <see cref="RemoteClient"/> does exactly that.
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
}
