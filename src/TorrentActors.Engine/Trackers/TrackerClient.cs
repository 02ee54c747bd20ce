using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Engine.Trackers;

/// <summary>Sends each request to the protocol its URL names: http/https to <see cref="HttpTrackerClient"/>, udp to <see cref="UdpTrackerClient"/>.</summary>
public sealed class TrackerClient : ITrackerClient, IDisposable
{
    private readonly bool _ownsUdp;

    public TrackerClient(HttpClient? httpClient = null, TimeProvider? time = null)
    {
        var key = (uint)Random.Shared.NextInt64(0, 1L << 32);
        Http = new HttpTrackerClient(httpClient, key);
        Udp = new UdpTrackerClient(time, key);
        _ownsUdp = true;
    }

    public TrackerClient(HttpTrackerClient http, UdpTrackerClient udp)
    {
        Http = http;
        Udp = udp;
    }

    public HttpTrackerClient Http { get; }

    public UdpTrackerClient Udp { get; }

    public Task<AnnounceResponse> AnnounceAsync(Uri tracker, AnnounceRequest request, CancellationToken cancellationToken) =>
        For(tracker).AnnounceAsync(tracker, request, cancellationToken);

    public Task<IReadOnlyDictionary<InfoHash, ScrapeEntry>> ScrapeAsync(Uri tracker, IReadOnlyList<InfoHash> infoHashes, CancellationToken cancellationToken) =>
        For(tracker).ScrapeAsync(tracker, infoHashes, cancellationToken);

    /// <summary>Closes the UDP sockets kept for reuse, when this client made its UDP client.</summary>
    public void Dispose()
    {
        if (_ownsUdp)
        {
            Udp.Dispose();
        }
    }

    private ITrackerClient For(Uri tracker)
    {
        if (!tracker.IsAbsoluteUri)
        {
            throw new TrackerException(TrackerFailureKind.BadUrl, $"Tracker URL '{tracker}' is not absolute.");
        }

        return tracker.Scheme switch
        {
            "http" or "https" => Http,
            "udp" => Udp,
            _ => throw new TrackerException(TrackerFailureKind.BadUrl, $"Tracker URL '{tracker}' uses the unsupported scheme '{tracker.Scheme}'."),
        };
    }
}
