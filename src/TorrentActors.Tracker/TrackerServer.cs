using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Tracker;

/// <summary>
/// The embedded HTTP (Kestrel) and UDP (BEP 15) tracker over one in-memory swarm store. Logs go to stderr only.
/// </summary>
public sealed class TrackerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly UdpTracker? _udp;
    private readonly ITimer _sweeper;
    private readonly SwarmStore _store;

    private TrackerServer(WebApplication app, UdpTracker? udp, ITimer sweeper, SwarmStore store, IPEndPoint httpEndPoint)
    {
        _app = app;
        _udp = udp;
        _sweeper = sweeper;
        _store = store;
        HttpEndPoint = httpEndPoint;
    }

    public IPEndPoint HttpEndPoint { get; }

    public IPEndPoint? UdpEndPoint => _udp?.LocalEndPoint;

    public Uri AnnounceUri => new($"http://{HttpEndPoint}/announce");

    /// <summary>The BEP 15 announce URL, or null when UDP is off.</summary>
    public Uri? UdpAnnounceUri => UdpEndPoint is { } udp ? new Uri($"udp://{udp}/announce") : null;

    public Uri GetTorrentUri(string fileName) => new($"http://{HttpEndPoint}/torrents/{Uri.EscapeDataString(fileName)}");

    /// <summary>Torrents currently tracked.</summary>
    public int TorrentCount => _store.TorrentCount;

    /// <summary>Peers currently tracked over all torrents.</summary>
    public int PeerCount => _store.PeerCount;

    /// <summary>Adds an infohash to the allow-list; false when it was already allowed or the tracker is open (everything allowed).</summary>
    public bool Allow(InfoHash infoHash) => _store.Allow(Id20.From(infoHash));

    public static Task<TrackerServer> StartAsync(TrackerOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(options, loggerFactory: null, peerAnnounced: null, cancellationToken);

    public static Task<TrackerServer> StartAsync(TrackerOptions options, ILoggerFactory? loggerFactory, CancellationToken cancellationToken = default) =>
        StartAsync(options, loggerFactory, peerAnnounced: null, cancellationToken);

    /// <summary>
    /// Starts both listeners. <paramref name="loggerFactory"/> (the embedding host's) receives the tracker's and
    /// Kestrel's logs; null logs warnings and errors to stderr on its own. <paramref name="peerAnnounced"/> is told of
    /// every recorded announce but <c>stopped</c> (see <see cref="AnnouncedPeer"/>): the embedding node hands new peers to
    /// its own sessions with it. It runs on the announce's thread and must be quick and must not throw.
    /// </summary>
    public static async Task<TrackerServer> StartAsync(TrackerOptions options, ILoggerFactory? loggerFactory, Action<AnnouncedPeer>? peerAnnounced,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.HttpPort is < 0 or > 65535 || options.UdpPort is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "ports are 0..65535");
        }

        if (options.DefaultNumWant < 0 || options.MaxNumWant is < 0 or > 200)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "numwant bounds: default >= 0, max 0..200");
        }

        var address = ParseHost(options.Host);
        var store = new SwarmStore(options, peerAnnounced);
        var limiter = new AddressRateLimiter(options.RequestsPerSecondPerAddress, options.RequestBurstPerAddress, options.TimeProvider,
            options.ExemptLoopbackFromRateLimit);
        var files = options.TorrentDirectory is { } dir ? new TorrentFiles(dir) : null;
        var http = new HttpTracker(store, limiter, options, files);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "TorrentActors.Tracker" });
        builder.Logging.ClearProviders();
        if (loggerFactory is null)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
        }
        else
        {
            // Registered last, the embedding host's factory is the one resolved; the container does not dispose it.
            builder.Services.AddSingleton(loggerFactory);
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestLineSize = 8 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 16 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 50;
            kestrel.Limits.MaxRequestBodySize = 0;
            kestrel.Limits.MaxConcurrentConnections = 10_000;
            kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(30);
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(10);
            // libtorrent's bare "Host: ::1:PORT" would be a 400 from Kestrel's parser: the guard brackets it first.
            kestrel.Listen(address, options.HttpPort, listen => listen.Use(BareIPv6HostGuard.Wrap));
        });
        // Embedded: the host must not take over SIGINT/SIGTERM (the node or the tracker command owns them).
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedLifetime>();
        var app = builder.Build();
        app.Run(http.HandleAsync);
        await app.StartAsync(cancellationToken);

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var httpEndPoint = new IPEndPoint(address, new Uri(bound).Port);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("TorrentActors.Tracker");

        UdpTracker? udp = null;
        try
        {
            if (options.UdpPort is { } udpPort)
            {
                var protocol = new UdpTrackerProtocol(store, new ConnectionIds(options.TimeProvider), limiter, options);
                udp = new UdpTracker(new IPEndPoint(address, udpPort), protocol, logger);
            }
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var sweepEvery = TimeSpan.FromTicks(Math.Clamp(options.EffectivePeerTimeout.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        var sweeper = options.TimeProvider.CreateTimer(_ => store.SweepAll(), null, sweepEvery, sweepEvery);
        return new TrackerServer(app, udp, sweeper, store, httpEndPoint);
    }

    private static IPAddress ParseHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }

        return IPAddress.TryParse(host, out var address)
            ? address
            : throw new ArgumentException($"tracker host must be an IP address or localhost, not '{host}'", nameof(host));
    }

    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        if (_udp is not null)
        {
            await _udp.DisposeAsync();
        }

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }

    private sealed class EmbeddedLifetime : Microsoft.Extensions.Hosting.IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
