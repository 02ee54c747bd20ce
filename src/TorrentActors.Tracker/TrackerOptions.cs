using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Tracker;

public sealed record TrackerOptions
{
    /// <summary>Address both listeners bind to (an IP literal or <c>localhost</c>).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>HTTP port; 0 picks a free one.</summary>
    public int HttpPort { get; init; } = 6969;

    /// <summary>UDP (BEP 15) port; 0 picks a free one, null turns UDP off.</summary>
    public int? UdpPort { get; init; } = 6969;

    /// <summary>Folder whose .torrent files are served at <c>/torrents/NAME.torrent</c>; null serves none.</summary>
    public string? TorrentDirectory { get; init; }

    /// <summary>When set, only these infohashes are tracked (private mode); more can be added with <see cref="TrackerServer.Allow"/>.</summary>
    public IReadOnlySet<InfoHash>? AllowList { get; init; }

    /// <summary>The announce interval handed to clients.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The <c>min interval</c> handed to HTTP clients.</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A peer that has not announced for this long is dropped; null means twice <see cref="Interval"/>.</summary>
    public TimeSpan? PeerTimeout { get; init; }

    /// <summary>Peers returned when the client does not ask for a number.</summary>
    public int DefaultNumWant { get; init; } = 50;

    /// <summary>Upper bound on peers returned per announce, whatever <c>numwant</c> says.</summary>
    public int MaxNumWant { get; init; } = 200;

    /// <summary>Peers tracked per torrent; announces beyond it are answered but not stored.</summary>
    public int MaxPeersPerTorrent { get; init; } = 20_000;

    /// <summary>Peers tracked over all torrents.</summary>
    public int MaxPeers { get; init; } = 2_000_000;

    /// <summary>Torrents tracked; announces for new torrents beyond it fail.</summary>
    public int MaxTorrents { get; init; } = 200_000;

    /// <summary>Whether <c>/scrape</c> without <c>info_hash</c> lists every torrent.</summary>
    public bool AllowScrapeAll { get; init; } = true;

    /// <summary>Longest accepted HTTP query string (characters); longer requests get a failure reply.</summary>
    public int MaxQueryLength { get; init; } = 4096;

    /// <summary>Most infohashes in one HTTP scrape (UDP is bounded by its packet: 74).</summary>
    public int MaxScrapeHashes { get; init; } = 128;

    /// <summary>Announce/scrape requests per second allowed per client address (token bucket); 0 turns limiting off.</summary>
    public double RequestsPerSecondPerAddress { get; init; } = 50;

    /// <summary>
    /// Whether clients on this machine (127.0.0.0/8, ::1) skip the rate limit: a local swarm shares one address.
    /// </summary>
    public bool ExemptLoopbackFromRateLimit { get; init; } = true;

    /// <summary>Token bucket size per client address (the burst allowed above the steady rate).</summary>
    public int RequestBurstPerAddress { get; init; } = 200;

    /// <summary>Clock used for expiry and connection ids (tests inject their own).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal TimeSpan EffectivePeerTimeout => PeerTimeout ?? Interval * 2;
}
