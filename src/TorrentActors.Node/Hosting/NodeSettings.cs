using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using TorrentActors.Actors;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts.Remote;
using TorrentActors.Engine.Client;
using TorrentActors.Tracker;

namespace TorrentActors.Node.Hosting;

/// <summary>
/// The node's settings. Defaults here; then <c>config/torrentactors.json</c> beside the executable, then
/// <c>--config FILE</c>, then environment variables (<c>TORRENTACTORS_LISTENPORT=7000</c>, and
/// <c>TORRENTACTORS_ENGINE__MAXPEERSPERTORRENT=80</c> for a key of a section), then flags.
/// The sections <see cref="Engine"/>, <see cref="EmbeddedTracker"/> and <see cref="Remote"/> hold every setting of
/// the engine, the embedded tracker and remote control; where a top-level key says the same (<see cref="Host"/>,
/// <see cref="ListenPort"/>, <see cref="TrackerPort"/>, <see cref="TorrentDirectory"/>), the top-level key is used.
/// </summary>
public sealed class NodeSettings
{
    public const string EnvironmentPrefix = "TORRENTACTORS_";

    /// <summary>The short key <c>StateDir</c> (so <c>TORRENTACTORS_STATEDIR</c>) names <see cref="StateDirectory"/> too, and wins.</summary>
    public const string StateDirAlias = "StateDir";

    public string TorrentDirectory { get; set; } = "./torrents";

    public string DownloadDirectory { get; set; } = "./downloads";

    /// <summary>The node's state folder: its lock and the SQLite database of the torrent registry.</summary>
    public string StateDirectory { get; set; } = "./state";

    /// <summary>Bind address for peers and the embedded tracker.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Peer port; 0 picks a free one.</summary>
    public int ListenPort { get; set; }

    /// <summary>The embedded tracker's port, HTTP and UDP (BEP 15) alike; 0 picks free ones.</summary>
    public int TrackerPort { get; set; } = 6969;

    /// <summary>An external tracker's announce URL, used instead of the embedded one.</summary>
    public string? Tracker { get; set; }

    /// <summary>Run no tracker; made torrents carry <see cref="Tracker"/> or none.</summary>
    public bool NoTracker { get; set; }

    public bool Json { get; set; }

    public bool ExitOnEof { get; set; }

    public bool ExitWhenComplete { get; set; }

    public int MaxLineChars { get; set; } = 64 * 1024;

    public long MaxTorrentFileBytes { get; set; } = 4 * 1024 * 1024;

    public int HttpTimeoutSeconds { get; set; } = 30;

    /// <summary>The lowest level of log events written to stderr: Trace, Debug, Information, Warning, Error or None.</summary>
    public LogLevel LogLevel { get; set; } = LogLevel.Information;

    /// <summary>Serve no remote control (no Akka.Remote listener).</summary>
    public bool NoRemote { get; set; }

    /// <summary>Read no commands on stdin: remote commands only (a daemon); needs remote control.</summary>
    public bool NoStdin { get; set; }

    /// <summary>The engine's settings (section <c>Engine</c>); its listen address and port come from <see cref="Host"/> and <see cref="ListenPort"/>.</summary>
    public EngineSettings Engine { get; set; } = new();

    /// <summary>
    /// The embedded tracker's settings (section <c>EmbeddedTracker</c>; <c>Tracker</c> is the external tracker's URL);
    /// its address, ports and torrent folder come from <see cref="Host"/>, <see cref="TrackerPort"/> and <see cref="TorrentDirectory"/>.
    /// </summary>
    public TrackerOptions EmbeddedTracker { get; set; } = new();

    /// <summary>Where remote control listens, its frame limit and TLS (section <c>Remote</c>).</summary>
    public RemoteSettings Remote { get; set; } = new();

    /// <summary>Cluster membership (section <c>Cluster</c>): off unless <see cref="ClusterSettings.Enabled"/>.</summary>
    public ClusterSettings Cluster { get; set; } = new();

    /// <summary>The default config file shipped beside the executable.</summary>
    public static string DefaultConfigPath => Path.Combine(AppContext.BaseDirectory, "config", "torrentactors.json");

    /// <summary>Reads the config layers (everything but the flags); a missing or malformed file throws.</summary>
    public static IConfiguration BuildConfiguration(string? configFile)
    {
        var builder = new ConfigurationBuilder().AddJsonFile(DefaultConfigPath, optional: true, reloadOnChange: false);
        if (configFile is not null)
        {
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        return builder.AddEnvironmentVariables(EnvironmentPrefix).Build();
    }

    /// <summary>Binds every key; a value that does not fit its setting throws <see cref="InvalidOperationException"/> naming it.</summary>
    public static NodeSettings From(IConfiguration configuration)
    {
        var settings = new NodeSettings();
        configuration.Bind(settings);
        if (configuration[StateDirAlias] is { Length: > 0 } stateDir)
        {
            settings.StateDirectory = stateDir;
        }

        return settings;
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        if (ListenPort is < 0 or > 65535)
        {
            throw new ArgumentException($"ListenPort {ListenPort} is not a port (0-65535)");
        }

        if (TrackerPort is < 0 or > 65535)
        {
            throw new ArgumentException($"TrackerPort {TrackerPort} is not a port (0-65535)");
        }

        if (!IPAddress.TryParse(Host, out _))
        {
            throw new ArgumentException($"Host '{Host}' is not an IP address");
        }

        if (Tracker is not null && !(Uri.TryCreate(Tracker, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "udp"))
        {
            throw new ArgumentException($"Tracker '{Tracker}' is not an http(s) or udp URL");
        }

        if (string.IsNullOrWhiteSpace(StateDirectory))
        {
            throw new ArgumentException("StateDirectory must name a folder");
        }

        if (MaxLineChars < 16 || MaxTorrentFileBytes < 1024 || HttpTimeoutSeconds < 1)
        {
            throw new ArgumentException("MaxLineChars, MaxTorrentFileBytes and HttpTimeoutSeconds must be positive and sensible");
        }

        ValidateEngine();
        ValidateTracker();
        ValidateCluster();
    }

    private void ValidateCluster()
    {
        var c = Cluster;
        if (!c.Enabled)
        {
            return;
        }

        if (c.Replicas < 1)
        {
            throw new ArgumentException($"Cluster:Replicas {c.Replicas} must be at least 1");
        }

        if (c.NodeName is not null && !ClusterSettings.IsValidNodeName(c.NodeName))
        {
            throw new ArgumentException($"Cluster:NodeName '{c.NodeName}' must be 1 to 64 letters, digits, '-', '_' or '.'");
        }

        if (c.DownAfter < TimeSpan.FromSeconds(1) || c.AnswerTimeout < TimeSpan.FromMilliseconds(100)
            || c.WriteTimeout < TimeSpan.FromMilliseconds(100) || c.ReadTimeout < TimeSpan.FromMilliseconds(100))
        {
            throw new ArgumentException("Cluster: DownAfter must be at least 1 second, AnswerTimeout, WriteTimeout and ReadTimeout at least 100 ms");
        }

        if (c.RegroupTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException($"Cluster:RegroupTimeout {c.RegroupTimeout} must not be negative");
        }

        foreach (var seed in c.SeedNodes)
        {
            if (SeedNodeProblem(seed) is { } problem)
            {
                throw new ArgumentException($"Cluster:SeedNodes '{seed}' {problem}");
            }
        }
    }

    /// <summary>Why <paramref name="seed"/> is not the address of a node (<c>akka.tcp://torrentactors@HOST:PORT</c>), or null.</summary>
    private static string? SeedNodeProblem(string seed)
    {
        if (!Uri.TryCreate(seed, UriKind.Absolute, out var uri) || uri.Scheme is not ("akka.tcp" or "akka.ssl.tcp"))
        {
            return "is not an akka.tcp:// address";
        }

        if (!string.Equals(uri.UserInfo, RemoteProtocol.SystemName, StringComparison.Ordinal))
        {
            return $"does not name the system {RemoteProtocol.SystemName} (akka.tcp://{RemoteProtocol.SystemName}@HOST:PORT)";
        }

        if (uri.IsDefaultPort || uri.Port is < 1 or > 65535 || uri.AbsolutePath is not ("" or "/") || uri.Host.Length == 0)
        {
            return "needs a host and a port (1-65535) and nothing after them";
        }

        return null;
    }

    private void ValidateEngine()
    {
        var e = Engine;
        if (e.MaxConnections < 1 || e.MaxPeersPerTorrent < 1 || e.UnchokeSlots < 1 || e.HashingParallelism < 1 || e.SocketBufferSize < 0
            || e.MaxIncomingRequests < 1 || e.MaxOutstandingRequests < 1 || e.BanAfterHashFailures < 1
            || e.MaxConnectionsPerAddress < 1 || e.MaxHalfOpenConnections < 1)
        {
            throw new ArgumentException("Engine: MaxConnections, MaxPeersPerTorrent, UnchokeSlots, HashingParallelism, MaxIncomingRequests, " +
                "MaxOutstandingRequests, BanAfterHashFailures, MaxConnectionsPerAddress and MaxHalfOpenConnections must be at least 1, " +
                "SocketBufferSize at least 0");
        }

        if (e.AnnouncedPort is < 1 or > 65535)
        {
            throw new ArgumentException($"Engine:AnnouncedPort {e.AnnouncedPort} is not a port (1-65535)");
        }

        foreach (var (name, value) in new[]
        {
            ("HandshakeTimeout", e.HandshakeTimeout), ("IdleTimeout", e.IdleTimeout), ("KeepAliveInterval", e.KeepAliveInterval),
            ("SnubTimeout", e.SnubTimeout), ("ChokeInterval", e.ChokeInterval), ("RedialInterval", e.RedialInterval),
            ("FirstMessageTimeout", e.FirstMessageTimeout),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentException($"Engine:{name} {value} must be positive");
            }
        }

        if (e.PeerIdPrefix.Length is 0 or > 20 || e.PeerIdPrefix.Any(c => c > 0x7f))
        {
            throw new ArgumentException($"Engine:PeerIdPrefix '{e.PeerIdPrefix}' must be 1 to 20 ASCII characters");
        }
    }

    private void ValidateTracker()
    {
        var t = EmbeddedTracker;
        if (t.Interval < TimeSpan.FromSeconds(1) || t.MinInterval < TimeSpan.Zero || t.PeerTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("EmbeddedTracker: Interval must be at least 1 second, MinInterval and PeerTimeout positive");
        }

        if (t.DefaultNumWant < 0 || t.MaxNumWant is < 0 or > 200 || t.MaxPeersPerTorrent < 1 || t.MaxPeers < 1 || t.MaxTorrents < 1
            || t.MaxQueryLength < 64 || t.MaxScrapeHashes < 1 || t.RequestsPerSecondPerAddress < 0 || t.RequestBurstPerAddress < 1)
        {
            throw new ArgumentException("EmbeddedTracker: the numwant bounds are 0..200, limits at least 1, MaxQueryLength at least 64, the rate limit not negative");
        }
    }

    /// <summary>The engine's settings with the top-level address and port.</summary>
    public EngineSettings ToEngineSettings() => Engine with { ListenAddress = IPAddress.Parse(Host), ListenPort = ListenPort };

    /// <summary>The embedded tracker's options, or null when the node runs none (<see cref="Tracker"/> or <see cref="NoTracker"/>).</summary>
    public TrackerOptions? ToTrackerOptions() => Tracker is null && !NoTracker
        ? EmbeddedTracker with { Host = Host, HttpPort = TrackerPort, UdpPort = TrackerPort, TorrentDirectory = Path.GetFullPath(TorrentDirectory) }
        : null;

    /// <summary>The remote settings with a full certificate path, or null with <see cref="NoRemote"/>.</summary>
    public RemoteSettings? ToRemoteSettings() => NoRemote
        ? null
        : Remote with { CertificatePath = string.IsNullOrEmpty(Remote.CertificatePath) ? null : Path.GetFullPath(Remote.CertificatePath) };

    public NodeActorSettings ToActorSettings(string? announceUrl) => new()
    {
        TorrentDirectory = Path.GetFullPath(TorrentDirectory),
        DownloadDirectory = Path.GetFullPath(DownloadDirectory),
        StateDatabasePath = Path.Combine(Path.GetFullPath(StateDirectory), TorrentActors.Actors.Registry.RegistryPersistence.DatabaseFileName),
        WorkingDirectory = Environment.CurrentDirectory,
        AnnounceUrl = announceUrl,
        Json = Json,
        // Without stdin its end means nothing: the node runs until it is stopped.
        ExitOnEndOfInput = ExitOnEof && !NoStdin,
        ExitWhenComplete = ExitWhenComplete,
        MaxLineChars = MaxLineChars,
        MaxTorrentFileBytes = MaxTorrentFileBytes,
        HttpTimeout = TimeSpan.FromSeconds(HttpTimeoutSeconds),
    };
}
