using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Node.Hosting;
using TorrentActors.Tracker;
using Xunit;

namespace TorrentActors.Node.Tests.Hosting;

/// <summary>
/// A peer that announces to the embedded tracker is handed to the node's session of that torrent, which dials it at
/// once; within bounds (once a minute per peer, running torrents only, never the node itself, no seeder to a seeder).
/// </summary>
public sealed class TrackerPeerHandoffTests : IAsyncLifetime
{
    private readonly TempFolder _temp = new();
    private readonly SteppedClock _clock = new();
    private ClientEngine _engine = null!;
    private ITorrentSession _session = null!;

    public async Task InitializeAsync()
    {
        _engine = new ClientEngine(new EngineSettings { ListenAddress = IPAddress.Loopback, ListenPort = 0 });
        await _engine.StartAsync();
        var file = _temp.RandomFile("handed.bin", 300_000);
        var torrent = await TorrentMaker.CreateAsync(file, new TorrentMakerOptions { PieceLength = 16384 });
        _session = _engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = _temp.Path, DataVerified = true });
        await _session.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        _temp.Dispose();
    }

    private TrackerPeerHandoff Handoff() => new(_engine, announcedPort: null, _clock);

    private AnnouncedPeer Leecher(int port) => new(_session.InfoHash, new IPEndPoint(IPAddress.Loopback, port), Seeding: false);

    [Fact]
    public async Task A_leecher_announcing_to_the_tracker_is_dialled_by_the_seeding_session_within_seconds()
    {
        var handoff = Handoff();
        await using var tracker = await TrackerServer.StartAsync(new TrackerOptions { HttpPort = 0, UdpPort = null }, null, handoff.OnAnnounced);
        using var peer = new TcpListener(IPAddress.Loopback, 0);
        peer.Start();
        var port = ((IPEndPoint)peer.LocalEndpoint).Port;
        var clock = Stopwatch.StartNew();

        await AnnounceAsync(tracker.HttpEndPoint, _session.InfoHash, port);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var dialled = await peer.AcceptTcpClientAsync(cts.Token);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"dialled after {clock.Elapsed}");
        var handshake = new byte[68];
        await dialled.GetStream().ReadExactlyAsync(handshake, cts.Token);
        Assert.Equal(_session.InfoHash.Span.ToArray(), handshake[28..48]);
    }

    [Fact]
    public void The_same_peer_is_handed_over_once_a_minute_at_most()
    {
        var handoff = Handoff();

        Assert.True(handoff.TryHand(Leecher(40001)));
        Assert.False(handoff.TryHand(Leecher(40001)));
        Assert.True(handoff.TryHand(Leecher(40002)));
        _clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(handoff.TryHand(Leecher(40001)));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.True(handoff.TryHand(Leecher(40001)));
    }

    [Fact]
    public void The_node_itself_a_torrent_it_does_not_hold_and_a_seeder_for_a_seeding_torrent_are_not_handed_over()
    {
        var handoff = Handoff();

        Assert.False(handoff.TryHand(Leecher(_engine.ListenEndPoint.Port)));
        Assert.False(handoff.TryHand(new AnnouncedPeer(_session.InfoHash, new IPEndPoint(IPAddress.IPv6Loopback, _engine.ListenEndPoint.Port), false)));
        Assert.False(handoff.TryHand(new AnnouncedPeer(new InfoHash(new byte[20]), new IPEndPoint(IPAddress.Loopback, 40003), false)));
        Assert.False(handoff.TryHand(Leecher(40004) with { Seeding = true }));
        Assert.False(new TrackerPeerHandoff(_engine, announcedPort: 40005, _clock).TryHand(Leecher(40005)));
    }

    [Fact]
    public async Task Nothing_is_handed_to_a_stopped_torrent()
    {
        await _session.StopAsync();

        Assert.False(Handoff().TryHand(Leecher(40006)));
    }

    [Fact]
    public void Past_its_bound_the_handoff_forgets_the_peers_handed_over_longest_ago_and_never_holds_more()
    {
        var handoff = Handoff();
        for (var i = 0; i < TrackerPeerHandoff.MaxRemembered; i++)
        {
            Assert.True(handoff.TryHand(new AnnouncedPeer(_session.InfoHash, new IPEndPoint(IPAddress.Parse("127.0.0.2"), 20_000 + i), false)));
        }

        Assert.True(handoff.TryHand(Leecher(40007)));
        Assert.True(handoff.Remembered <= TrackerPeerHandoff.MaxRemembered);

        for (var i = handoff.Remembered; i < TrackerPeerHandoff.MaxRemembered; i++)
        {
            handoff.TryHand(new AnnouncedPeer(_session.InfoHash, new IPEndPoint(IPAddress.Parse("127.0.0.3"), 20_000 + i), false));
        }

        _clock.Advance(TimeSpan.FromSeconds(61));
        Assert.True(handoff.TryHand(Leecher(40008)));
        Assert.Equal(1, handoff.Remembered);
    }

    private static async Task AnnounceAsync(IPEndPoint tracker, InfoHash infoHash, int port)
    {
        var hash = string.Concat(infoHash.Span.ToArray().Select(b => $"%{b:X2}"));
        var target = $"/announce?info_hash={hash}&peer_id=-XX0001-abcdefghijkl&port={port}&uploaded=0&downloaded=0&left=300000&event=started";
        using var client = new TcpClient();
        await client.ConnectAsync(tracker);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {tracker}\r\nConnection: close\r\n\r\n"));
        using var reply = new MemoryStream();
        await stream.CopyToAsync(reply);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(reply.ToArray()), StringComparison.Ordinal);
    }

    /// <summary>A clock the test moves by hand (timestamps in ticks).</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
