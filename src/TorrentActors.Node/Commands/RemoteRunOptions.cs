using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Microsoft.Extensions.DependencyInjection;
using TorrentActors.Actors;
using TorrentActors.Actors.Remote;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Node.Commands;

/// <summary>The remote-control options of <c>run</c>: where the gateway listens, TLS, and <c>--no-stdin</c>.</summary>
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

    public Values Read(ParseResult result)
    {
        var noStdin = result.GetValue(NoStdin);
        if (result.GetValue(NoRemote))
        {
            return new Values(null, noStdin, noStdin ? "--no-stdin needs remote control; drop --no-remote" : null);
        }

        var defaults = new RemoteSettings();
        var settings = new RemoteSettings
        {
            Host = result.GetValue(RemoteHost) ?? defaults.Host,
            Port = result.GetResult(RemotePort) is { Implicit: false } ? result.GetValue(RemotePort) : defaults.Port,
            PublicHost = result.GetValue(PublicHost),
            MaxFrameBytes = result.GetResult(MaxFrameBytes) is { Implicit: false } ? result.GetValue(MaxFrameBytes) : defaults.MaxFrameBytes,
            CertificatePath = result.GetValue(Certificate) is { } path ? Path.GetFullPath(path) : null,
            CertificatePassword = result.GetValue(CertificatePassword),
        };
        return new Values(settings, noStdin, Check(settings));
    }

    /// <summary>Writes the node's remote address on stderr, where scripts and clients find it.</summary>
    public static async Task AnnounceAsync(IServiceProvider services, TextWriter stderr)
    {
        if (services.GetService<ActorSystem>() is ExtendedActorSystem system && system.Provider.DefaultAddress.HasGlobalScope)
        {
            await stderr.WriteLineAsync($"torrentactors: remote control at {system.Provider.DefaultAddress}");
        }
    }

    private static string? Check(RemoteSettings settings)
    {
        if (settings.Port is < 0 or > 65535)
        {
            return "--remote-port must be 0..65535";
        }

        if (settings.MaxFrameBytes < 32_000)
        {
            return "--remote-max-frame must be at least 32000";
        }

        if (settings.CertificatePath is { } path)
        {
            try
            {
                using var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, settings.CertificatePassword);
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

    /// <summary>The remote settings (null with <c>--no-remote</c>), <c>--no-stdin</c>, and why they are unusable, if they are.</summary>
    public sealed record Values(RemoteSettings? Settings, bool NoStdin, string? Error)
    {
        public TextReader Stdin(TextReader console) => NoStdin ? TextReader.Null : console;

        /// <summary>Without stdin its end means nothing: the node runs until it is stopped.</summary>
        public NodeActorSettings Apply(NodeActorSettings settings) => NoStdin ? settings with { ExitOnEndOfInput = false } : settings;
    }
}
