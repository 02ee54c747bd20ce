using System.Net;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Engine.Trackers;

/// <summary>The <c>event</c> of an announce (BEP 3); <see cref="None"/> is a regular, periodic announce.</summary>
public enum AnnounceEvent
{
    None,
    Started,
    Completed,
    Stopped,
}

/// <summary>What we tell a tracker about one torrent. <paramref name="PeerId"/> is our 20-byte peer id.</summary>
public sealed record AnnounceRequest(
    InfoHash InfoHash,
    ReadOnlyMemory<byte> PeerId,
    int Port,
    long Uploaded,
    long Downloaded,
    long Left,
    AnnounceEvent Event,
    int NumWant = 50);

/// <summary>A tracker's answer to an announce, with intervals already clamped to sane ranges.</summary>
public sealed record AnnounceResponse(
    TimeSpan Interval,
    TimeSpan? MinInterval,
    IReadOnlyList<IPEndPoint> Peers,
    string? TrackerId,
    int? Complete,
    int? Incomplete,
    string? WarningMessage);

/// <summary>One torrent's counts from a scrape: seeders, completed downloads, leechers.</summary>
public sealed record ScrapeEntry(int Complete, int Downloaded, int Incomplete);

/// <summary>A tracker said no (<c>failure reason</c>), answered with something unreadable, could not be reached or did not answer in time.</summary>
public sealed class TrackerException : Exception
{
    public TrackerException(string message)
        : base(message)
    {
    }

    public TrackerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>True when the tracker itself refused the request (a <c>failure reason</c> or a UDP error packet).</summary>
    public bool IsTrackerFailure { get; init; }
}

/// <summary>Talks to one tracker URL at a time.</summary>
public interface ITrackerClient
{
    Task<AnnounceResponse> AnnounceAsync(Uri tracker, AnnounceRequest request, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<InfoHash, ScrapeEntry>> ScrapeAsync(Uri tracker, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken);
}
