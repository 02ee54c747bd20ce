using System.Net;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Tracker;

public sealed record TrackerOptions
{
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>HTTP port; 0 picks a free one.</summary>
    public int HttpPort { get; init; } = 6969;

    /// <summary>UDP (BEP 15) port; 0 picks a free one, null turns UDP off.</summary>
    public int? UdpPort { get; init; } = 6969;

    /// <summary>Folder whose .torrent files are served at <c>/torrents/NAME.torrent</c>; null serves none.</summary>
    public string? TorrentDirectory { get; init; }

    /// <summary>When set, only these infohashes are tracked (private mode).</summary>
    public IReadOnlySet<InfoHash>? AllowList { get; init; }
}

/// <summary>The embedded HTTP and UDP tracker.</summary>
public sealed class TrackerServer : IAsyncDisposable
{
    private TrackerServer()
    {
    }

    public required IPEndPoint HttpEndPoint { get; init; }

    public IPEndPoint? UdpEndPoint { get; init; }

    public Uri AnnounceUri => new($"http://{HttpEndPoint}/announce");

    public Uri GetTorrentUri(string fileName) => new($"http://{HttpEndPoint}/torrents/{Uri.EscapeDataString(fileName)}");

    public static Task<TrackerServer> StartAsync(TrackerOptions options, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("the tracker lands with the tracker work");

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
