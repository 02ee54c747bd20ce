using TorrentActors.Contracts.Remote;

namespace TorrentActors.Client;

/// <summary>How a node (or a client) listens for remote control; defaults are safe: loopback only, no TLS.</summary>
public sealed record RemoteSettings
{
    public const string DefaultHost = "127.0.0.1";

    /// <summary>Any free port: several nodes on one machine never collide; the node prints the address it got.</summary>
    public const int DefaultNodePort = 0;

    /// <summary>The address to bind; loopback unless told otherwise.</summary>
    public string Host { get; init; } = DefaultHost;

    /// <summary>0 (the default) picks any free port; the node prints the address it got on stderr.</summary>
    public int Port { get; init; } = DefaultNodePort;

    /// <summary>The host name others use to reach this node, when it differs from <see cref="Host"/> (NAT, containers).</summary>
    public string? PublicHost { get; init; }

    /// <summary>Frames larger than this are refused on receipt (and not sent); it must hold a .torrent sent as bytes.</summary>
    public int MaxFrameBytes { get; init; } = RemoteProtocol.DefaultMaxFrameBytes;

    /// <summary>A PKCS#12 (.pfx) file: when set, remoting runs over TLS and only peers presenting this same certificate are accepted.</summary>
    public string? CertificatePath { get; init; }

    public string? CertificatePassword { get; init; }
}
