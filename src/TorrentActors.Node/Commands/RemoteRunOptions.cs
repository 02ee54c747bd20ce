using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts.Remote;
using TorrentActors.Node.Hosting;

namespace TorrentActors.Node.Commands;

/// <summary>The remote-control flags of <c>run</c> (section <c>Remote</c>, keys <c>NoRemote</c>, <c>NoStdin</c>): where the gateway listens, TLS, and <c>--no-stdin</c>.</summary>
internal sealed class RemoteRunOptions
{
    public Option<bool> NoRemote { get; } = new("--no-remote") { Description = "Serve no remote control (no Akka.Remote listener)" };

    public Option<string> RemoteHost { get; } = new("--remote-host") { Description = $"Address remote control binds to (default {RemoteSettings.DefaultHost})" };

    public Option<int> RemotePort { get; } = new("--remote-port") { Description = $"Port of remote control; 0 picks a free one (default {RemoteSettings.DefaultNodePort})" };

    public Option<string> PublicHost { get; } = new("--public-host") { Description = "Host name others use to reach this node, when not --remote-host (NAT, containers)" };

    public Option<string> Certificate { get; } = new("--remote-cert") { Description = "PKCS#12 (.pfx) certificate: remote control over TLS; only peers with this same certificate get in" };

    public Option<string> CertificatePassword { get; } = new("--remote-cert-password") { Description = "Password of the --remote-cert file" };

    public Option<int> MaxFrameBytes { get; } = new("--remote-max-frame")
    {
        Description = $"Largest remote message in bytes (default {RemoteProtocol.DefaultMaxFrameBytes}; holds a {RemoteProtocol.MaxTorrentBytes}-byte .torrent as base64)",
    };

    public Option<bool> NoStdin { get; } = new("--no-stdin") { Description = "Read no commands on stdin: serve remote commands only (a daemon)" };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { NoRemote, RemoteHost, RemotePort, PublicHost, Certificate, CertificatePassword, MaxFrameBytes, NoStdin })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Applies the flags actually given onto <paramref name="settings"/> (they win over config and environment).</summary>
    public void Apply(ParseResult result, NodeSettings settings)
    {
        var remote = settings.Remote;
        if (Given(result, NoRemote))
        {
            settings.NoRemote = result.GetValue(NoRemote);
        }

        if (Given(result, NoStdin))
        {
            settings.NoStdin = result.GetValue(NoStdin);
        }

        settings.Remote = remote with
        {
            Host = Given(result, RemoteHost) ? result.GetValue(RemoteHost)! : remote.Host,
            Port = Given(result, RemotePort) ? result.GetValue(RemotePort) : remote.Port,
            PublicHost = Given(result, PublicHost) ? result.GetValue(PublicHost) : remote.PublicHost,
            MaxFrameBytes = Given(result, MaxFrameBytes) ? result.GetValue(MaxFrameBytes) : remote.MaxFrameBytes,
            CertificatePath = Given(result, Certificate) ? result.GetValue(Certificate) : remote.CertificatePath,
            CertificatePassword = Given(result, CertificatePassword) ? result.GetValue(CertificatePassword) : remote.CertificatePassword,
        };
    }

    private static bool Given<T>(ParseResult result, Option<T> option) => result.GetResult(option) is { Implicit: false };

    /// <summary>Writes the node's remote address on stderr, where scripts and clients find it.</summary>
    public static async Task AnnounceAsync(IServiceProvider services, TextWriter stderr)
    {
        if (services.GetService<ActorSystem>() is ExtendedActorSystem system && system.Provider.DefaultAddress.HasGlobalScope)
        {
            await stderr.WriteLineAsync($"torrentactors: remote control at {system.Provider.DefaultAddress}");
        }
    }

    /// <summary>Why the remote settings of <paramref name="settings"/> are unusable, or null when they are fine.</summary>
    public static string? Check(NodeSettings settings)
    {
        if (settings.NoRemote)
        {
            return settings.NoStdin ? "--no-stdin needs remote control; drop --no-remote" : null;
        }

        var remote = settings.ToRemoteSettings()!;
        if (remote.Port is < 0 or > 65535)
        {
            return "--remote-port must be 0..65535";
        }

        if (remote.MaxFrameBytes < 32_000)
        {
            return "--remote-max-frame must be at least 32000";
        }

        if (remote.CertificatePath is { } path)
        {
            try
            {
                using var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, remote.CertificatePassword);
                if (!certificate.HasPrivateKey)
                {
                    return $"{path} holds no private key";
                }
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                return $"cannot load --remote-cert {path}: {ex.Message}";
            }
        }

        return null;
    }
}
