using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using TorrentActors.Actors;

namespace TorrentActors.Node.Hosting;

/// <summary>
/// The node's settings. Defaults here; then <c>config/torrentactors.json</c> beside the executable, then
/// <c>--config FILE</c>, then environment variables (<c>TORRENTACTORS_LISTENPORT=7000</c>), then flags.
/// </summary>
public sealed class NodeSettings
{
    public const string EnvironmentPrefix = "TORRENTACTORS_";

    public string TorrentDirectory { get; set; } = "./torrents";

    public string DownloadDirectory { get; set; } = "./downloads";

    /// <summary>Bind address for peers and the embedded tracker.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Peer port; 0 picks a free one.</summary>
    public int ListenPort { get; set; }

    /// <summary>Embedded tracker's HTTP port; 0 picks a free one.</summary>
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

    /// <summary>The default config file shipped beside the executable.</summary>
    public static string DefaultConfigPath => Path.Combine(AppContext.BaseDirectory, "config", "torrentactors.json");

    /// <summary>Reads the config layers (everything but the flags).</summary>
    public static IConfiguration BuildConfiguration(string? configFile)
    {
        var builder = new ConfigurationBuilder().AddJsonFile(DefaultConfigPath, optional: true, reloadOnChange: false);
        if (configFile is not null)
        {
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        return builder.AddEnvironmentVariables(EnvironmentPrefix).Build();
    }

    public static NodeSettings From(IConfiguration configuration)
    {
        var settings = new NodeSettings();
        configuration.Bind(settings);
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

        if (!System.Net.IPAddress.TryParse(Host, out _))
        {
            throw new ArgumentException($"Host '{Host}' is not an IP address");
        }

        if (Tracker is not null && !(Uri.TryCreate(Tracker, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "udp"))
        {
            throw new ArgumentException($"Tracker '{Tracker}' is not an http(s) or udp URL");
        }

        if (MaxLineChars < 16 || MaxTorrentFileBytes < 1024 || HttpTimeoutSeconds < 1)
        {
            throw new ArgumentException("MaxLineChars, MaxTorrentFileBytes and HttpTimeoutSeconds must be positive and sensible");
        }
    }

    public NodeActorSettings ToActorSettings(string? announceUrl) => new()
    {
        TorrentDirectory = Path.GetFullPath(TorrentDirectory),
        DownloadDirectory = Path.GetFullPath(DownloadDirectory),
        WorkingDirectory = Environment.CurrentDirectory,
        AnnounceUrl = announceUrl,
        Json = Json,
        ExitOnEndOfInput = ExitOnEof,
        ExitWhenComplete = ExitWhenComplete,
        MaxLineChars = MaxLineChars,
        MaxTorrentFileBytes = MaxTorrentFileBytes,
        HttpTimeout = TimeSpan.FromSeconds(HttpTimeoutSeconds),
    };
}
