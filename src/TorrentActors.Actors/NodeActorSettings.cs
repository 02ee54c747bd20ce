namespace TorrentActors.Actors;

/// <summary>What the actors need to know about this node; the host builds it from config and flags.</summary>
public sealed record NodeActorSettings
{
    /// <summary>Where made .torrent files are written and relative <c>torrent:PATH</c> names are found.</summary>
    public required string TorrentDirectory { get; init; }

    /// <summary>Where fetched torrents download to.</summary>
    public required string DownloadDirectory { get; init; }

    /// <summary>Where relative <c>file:PATH</c> names are found.</summary>
    public string WorkingDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>The announce URL written into made torrents; null makes trackerless torrents.</summary>
    public string? AnnounceUrl { get; init; }

    /// <summary>Write JSON lines instead of <c>ID:NAME:PERCENT</c>.</summary>
    public bool Json { get; init; }

    /// <summary>End of stdin shuts the node down (otherwise it keeps seeding).</summary>
    public bool ExitOnEndOfInput { get; init; }

    /// <summary>Shut down once every torrent is at 100%.</summary>
    public bool ExitWhenComplete { get; init; }

    /// <summary>The longest command line kept; longer lines are dropped and reported.</summary>
    public int MaxLineChars { get; init; } = 64 * 1024;

    /// <summary>The largest .torrent accepted from a file or over HTTP.</summary>
    public long MaxTorrentFileBytes { get; init; } = 4 * 1024 * 1024;

    public TimeSpan HttpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxHttpRedirects { get; init; } = 5;

    /// <summary>Back-off between restarts of a failing patron.</summary>
    public TimeSpan RestartMinBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan RestartMaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many restarts in a row before a torrent is given up with an error.</summary>
    public int MaxRestarts { get; init; } = 5;

    /// <summary>The SQLite file that holds the torrent registry, or null to keep it in memory (named in messages).</summary>
    public string? StateDatabasePath { get; init; }

    /// <summary>The registry saves a snapshot every this many events (0: never), so a restart replays at most that many.</summary>
    public int SnapshotEvery { get; init; } = 100;

    /// <summary>How long shutdown waits for all sessions to stop (trackers told <c>stopped</c>).</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
