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

/// <summary>How one tracker failed; every failure of a tracker client is one of these.</summary>
public enum TrackerFailureKind
{
    /// <summary>The tracker said no: a <c>failure reason</c> (HTTP) or an error packet (UDP).</summary>
    Refused,

    /// <summary>No answer could be had: the name does not resolve, the connection is refused or reset, a socket error.</summary>
    Unreachable,

    /// <summary>No complete answer within the time allowed.</summary>
    Timeout,

    /// <summary>
    /// An answer we cannot use: an HTTP error status, a redirect to something other than http(s), a redirect loop,
    /// a body that does not decompress, is over the size limit, is cut short or is not bencode.
    /// </summary>
    BadReply,

    /// <summary>The tracker URL itself: not absolute, an unsupported scheme, no port.</summary>
    BadUrl,
}

/// <summary>One tracker's failure during an announce, as the tier walk saw it.</summary>
public sealed record TrackerFailure(string Tracker, TrackerFailureKind Kind, string Reason);

/// <summary>
/// A tracker said no, answered with something unusable, could not be reached or did not answer in time (see
/// <see cref="Kind"/>). Tracker clients turn every failure of a request into this one type.
/// </summary>
public sealed class TrackerException : Exception
{
    public TrackerException(TrackerFailureKind kind, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
    }

    /// <summary>A failure of kind <see cref="TrackerFailureKind.Unreachable"/>.</summary>
    public TrackerException(string message)
        : this(TrackerFailureKind.Unreachable, message)
    {
    }

    /// <summary>A failure of kind <see cref="TrackerFailureKind.Unreachable"/>.</summary>
    public TrackerException(string message, Exception innerException)
        : this(TrackerFailureKind.Unreachable, message, innerException)
    {
    }

    public TrackerFailureKind Kind { get; }

    /// <summary>True when the tracker itself refused the request (a <c>failure reason</c> or a UDP error packet).</summary>
    public bool IsTrackerFailure => Kind == TrackerFailureKind.Refused;

    /// <summary>A failure no tracker client foresaw (an exception of another type), kept as <see cref="TrackerFailureKind.BadReply"/>.</summary>
    public static TrackerException Unexpected(string tracker, Exception e) =>
        new(TrackerFailureKind.BadReply, $"Tracker {tracker} failed: {e.GetType().Name}: {e.Message}", e);

    /// <summary>When every tracker of the announce-list failed: each one's failure, in the order they were tried.</summary>
    public IReadOnlyList<TrackerFailure> Failures { get; init; } = [];
}

/// <summary>Talks to one tracker URL at a time.</summary>
public interface ITrackerClient
{
    Task<AnnounceResponse> AnnounceAsync(Uri tracker, AnnounceRequest request, CancellationToken cancellationToken);

    Task<IReadOnlyDictionary<InfoHash, ScrapeEntry>> ScrapeAsync(Uri tracker, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken);
}
