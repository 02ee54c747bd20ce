using System.Net;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Storage;

namespace TorrentActors.Engine.Client;

/// <summary>Options for adding a torrent to the engine.</summary>
public sealed record TorrentSessionOptions
{
    /// <summary>
    /// The folder the torrent's files live in: each <see cref="TorrentFile.PathComponents"/> resolves under it.
    /// To seed a file in place, pass the folder that holds it.
    /// </summary>
    public required string DownloadDirectory { get; init; }

    /// <summary>The data was hashed just now (by the maker): skip the start-up check and seed at once.</summary>
    public bool DataVerified { get; init; }

    /// <summary>
    /// What an earlier session recorded (<see cref="ITorrentSession.CaptureResumeData"/>): at start, the pieces it lists
    /// in files that have not changed since are trusted without hashing; everything else is checked.
    /// </summary>
    public ResumeData? Resume { get; init; }
}

/// <summary>One torrent inside the engine: start, stop, pause, resume, status and change events.</summary>
public interface ITorrentSession
{
    Torrent Torrent { get; }

    InfoHash InfoHash => Torrent.InfoHash;

    TorrentStatus Status { get; }

    /// <summary>Raised (on an engine thread) when state, whole-percent progress, or the error changes, and on completion.</summary>
    event EventHandler<TorrentStatus>? StatusChanged;

    /// <summary>Checks existing data (unless verified), announces <c>started</c> and begins to download or seed.</summary>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Closes peer connections, flushes files and announces <c>stopped</c>.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);

    Task PauseAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The pieces verified so far with the files' stamps, to save and give back as <see cref="TorrentSessionOptions.Resume"/>
    /// after a restart. While the session is not downloading or seeding, what its last run left (or what it was given).
    /// </summary>
    ResumeData? CaptureResumeData();

    Task ResumeAsync(CancellationToken cancellationToken = default);

    /// <summary>Peers learned elsewhere (a tracker, the cluster): remembered and dialled while there is room.</summary>
    void AddPeers(IEnumerable<IPEndPoint> endPoints);
}

/// <summary>
/// The node's BitTorrent engine: owns the listening socket (one port for all torrents) and the global connection
/// limit, and holds one session per torrent. Disk I/O and hashing are each session's own: a session checks its data
/// at start on <see cref="EngineSettings.HashingParallelism"/> threads, and hashes and writes finished pieces on the
/// thread pool.
/// </summary>
public interface ITorrentEngine : IAsyncDisposable
{
    /// <summary>Where peers reach us; valid after <see cref="StartAsync"/>.</summary>
    IPEndPoint ListenEndPoint { get; }

    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds a torrent (not started). Adding an infohash that is already present returns the existing session.</summary>
    ITorrentSession Add(Torrent torrent, TorrentSessionOptions options);

    bool TryGet(InfoHash infoHash, out ITorrentSession session);

    /// <summary>Stops the session and forgets it; its data stays on disk.</summary>
    Task RemoveAsync(InfoHash infoHash, CancellationToken cancellationToken = default);
}
