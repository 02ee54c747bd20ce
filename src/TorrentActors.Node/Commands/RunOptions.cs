using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using TorrentActors.Node.Hosting;

namespace TorrentActors.Node.Commands;

/// <summary>The options of <c>run</c>; a flag given on the command line overrides config and environment.</summary>
internal sealed class RunOptions
{
    public Option<string> TorrentDir { get; } = new("--torrent-dir") { Description = "Folder for made .torrent files and relative torrent:PATH names (default ./torrents)" };

    public Option<string> DownloadDir { get; } = new("--download-dir") { Description = "Folder fetched torrents download to (default ./downloads)" };

    public Option<string> StateDir { get; } = new("--state-dir") { Description = "Folder of the node's state: the torrent registry's database and its lock (default ./state)" };

    public Option<string> Tracker { get; } = new("--tracker") { Description = "Announce URL of an external tracker, used instead of the embedded one" };

    public Option<int> TrackerPort { get; } = new("--tracker-port") { Description = "Port of the embedded tracker, HTTP and UDP (BEP 15); 0 picks free ones (default 6969)" };

    public Option<bool> NoTracker { get; } = new("--no-tracker") { Description = "Run no embedded tracker" };

    public Option<int> ListenPort { get; } = new("--listen-port") { Description = "Port peers connect to; 0 picks a free one (default 0)" };

    public Option<string> Host { get; } = new("--host") { Description = "Address to bind (default 127.0.0.1)" };

    public Option<bool> Json { get; } = new("--json") { Description = "Write JSON lines instead of ID:NAME:PERCENT" };

    public Option<bool> ExitOnEof { get; } = new("--exit-on-eof") { Description = "Shut down at the end of stdin (otherwise keep seeding)" };

    public Option<bool> ExitWhenComplete { get; } = new("--exit-when-complete") { Description = "Exit 0 once every torrent is at 100%" };

    public Option<LogLevel> LogLevel { get; } = new("--log-level")
    {
        Description = "Lowest level of log lines on stderr (default information)",
        HelpName = "trace|debug|information|warning|error|none",
    };

    public Option<FileInfo> Config { get; } = new("--config") { Description = "A JSON settings file (same keys as config/torrentactors.json)" };

    /// <summary>The remote-control flags, read with the others.</summary>
    public RemoteRunOptions Remote { get; } = new();

    /// <summary>The cluster flags, read with the others.</summary>
    public ClusterRunOptions Cluster { get; } = new();

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { TorrentDir, DownloadDir, StateDir, Tracker, TrackerPort, NoTracker, ListenPort, Host, Json, ExitOnEof, ExitWhenComplete, LogLevel, Config })
        {
            command.Options.Add(option);
        }

        Remote.AddTo(command);
        Cluster.AddTo(command);
    }

    /// <summary>
    /// Settings from config layers, then the flags actually given. A config file that is missing or not JSON, or a
    /// value that does not fit its setting, throws (<see cref="IOException"/>, <see cref="FormatException"/>,
    /// <see cref="InvalidDataException"/>, <see cref="InvalidOperationException"/>).
    /// </summary>
    public (NodeSettings Settings, IConfiguration Configuration) Read(ParseResult result)
    {
        var configuration = NodeSettings.BuildConfiguration(result.GetValue(Config)?.FullName);
        var settings = NodeSettings.From(configuration);
        Apply(result, TorrentDir, v => settings.TorrentDirectory = v);
        Apply(result, DownloadDir, v => settings.DownloadDirectory = v);
        Apply(result, StateDir, v => settings.StateDirectory = v);
        Apply(result, Tracker, v => settings.Tracker = v);
        Apply(result, TrackerPort, v => settings.TrackerPort = v);
        Apply(result, NoTracker, v => settings.NoTracker = v);
        Apply(result, ListenPort, v => settings.ListenPort = v);
        Apply(result, Host, v => settings.Host = v);
        Apply(result, Json, v => settings.Json = v);
        Apply(result, ExitOnEof, v => settings.ExitOnEof = v);
        Apply(result, ExitWhenComplete, v => settings.ExitWhenComplete = v);
        Apply(result, LogLevel, v => settings.LogLevel = v);
        Remote.Apply(result, settings);
        Cluster.Apply(result, settings);
        return (settings, configuration);
    }

    private static void Apply<T>(ParseResult result, Option<T> option, Action<T> set)
    {
        if (result.GetResult(option) is { Implicit: false } && result.GetValue(option) is { } value)
        {
            set(value);
        }
    }
}
