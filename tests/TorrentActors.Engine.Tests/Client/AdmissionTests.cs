using System.Diagnostics;
using System.Net;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// Who gets a connection while an attacker holds many sockets: a cap per address, a cap on unfinished handshakes,
/// a deadline for the first useful message, and the idlest peer making room for a new one when the torrent or the
/// engine is full. Peers from another address than 127.0.0.1 come from 127.0.0.2 (all of 127/8 is loopback).
/// </summary>
public sealed class AdmissionTests
{
    private const int PieceLength = 32 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);
    private static readonly IPAddress OtherAddress = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Connections_from_one_address_over_its_cap_are_closed_before_we_send_anything_while_another_address_gets_in()
    {
        await using var seeder = await Seeder.StartAsync(new EngineSettings { MaxConnectionsPerAddress = 2 });
        using var first = await seeder.ConnectAsync(1);
        using var second = await seeder.ConnectAsync(2);
        await seeder.WaitForPeersAsync(2);

        using var third = await seeder.ConnectAsync(3);
        await third.Closed.WaitAsync(Wait);
        using var elsewhere = await seeder.ConnectAsync(4, from: OtherAddress);

        await seeder.WaitForPeersAsync(3);
        Assert.Equal(0, third.BytesReceived);
        Assert.False(first.Closed.IsCompleted || second.Closed.IsCompleted, "a peer within the cap was closed");
    }

    [Fact]
    public async Task Past_the_cap_on_unfinished_handshakes_the_oldest_is_closed_and_a_new_peer_gets_in()
    {
        await using var seeder = await Seeder.StartAsync(new EngineSettings { MaxHalfOpenConnections = 3, HandshakeTimeout = TimeSpan.FromMinutes(5) });
        var silent = new List<ScriptedPeer>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                silent.Add(await seeder.ConnectAsync(i, handshake: false));
                await Task.Delay(50); // accepted in this order
            }

            using var honest = await seeder.ConnectAsync(9);

            await seeder.WaitForPeersAsync(1);
            await Task.WhenAll(silent.Take(3).Select(p => p.Closed)).WaitAsync(Wait);
            Assert.False(silent[3].Closed.IsCompleted || silent[4].Closed.IsCompleted, "a newer unfinished handshake was closed");
            Assert.All(silent, p => Assert.Equal(0, p.BytesReceived));
        }
        finally
        {
            silent.ForEach(p => p.Dispose());
        }
    }

    [Fact]
    public async Task A_peer_that_sends_only_keep_alives_after_the_handshake_is_closed_at_the_first_message_deadline()
    {
        await using var seeder = await Seeder.StartAsync(new EngineSettings
        {
            FirstMessageTimeout = TimeSpan.FromSeconds(2),
            IdleTimeout = TimeSpan.FromMinutes(10),
            KeepAliveInterval = TimeSpan.FromMinutes(10),
        });
        using var keen = await seeder.ConnectAsync(1);
        await keen.SendAsync(PeerMessageKind.Interested);
        using var chatty = await seeder.ConnectAsync(2);
        await seeder.WaitForPeersAsync(2);

        var watch = Stopwatch.StartNew();
        while (!chatty.Closed.IsCompleted && watch.Elapsed < Wait)
        {
            await chatty.SendRawAsync([0, 0, 0, 0]).WaitAsync(Wait).ContinueWith(_ => { }, TaskScheduler.Default);
            await Task.WhenAny(chatty.Closed, Task.Delay(300));
        }

        Assert.True(chatty.Closed.IsCompleted, $"still open after {watch.Elapsed}: {chatty}");
        await seeder.WaitForPeersAsync(1);
        Assert.False(keen.Closed.IsCompleted, "the peer that said it is interested was closed");
    }

    /// <summary>
    /// Full of peers that are all of use (each interested in our data), there is no one to evict: a new peer is refused
    /// as "too many peers" (the torrent full) or "too many connections" (the engine full) and closed before we send
    /// it anything, our handshake included, while the peers in keep their connections.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task When_full_of_useful_peers_a_new_peer_is_refused_and_closed_before_we_send_anything(bool engineFull)
    {
        var settings = engineFull ? new EngineSettings { MaxConnections = 2 } : new EngineSettings { MaxPeersPerTorrent = 2 };
        await using var seeder = await Seeder.StartAsync(settings);
        using var first = await seeder.ConnectAsync(1);
        await first.SendAsync(PeerMessageKind.Interested);
        using var second = await seeder.ConnectAsync(2);
        await second.SendAsync(PeerMessageKind.Interested);
        await seeder.WaitForPeersAsync(2);
        await TransferTests.WaitForAsync(() => first.Unchoked && second.Unchoked, Wait, () => $"{first} {second}"); // both counted as interested

        using var refused = await seeder.ConnectAsync(3);
        await refused.Closed.WaitAsync(Wait);

        Assert.Equal(0, refused.BytesReceived);
        await Task.Delay(200);
        Assert.False(first.Closed.IsCompleted || second.Closed.IsCompleted, "a useful peer was closed");
        await seeder.WaitForPeersAsync(2);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task When_full_the_idlest_uninterested_peer_makes_room_for_a_new_one(bool engineFull)
    {
        var settings = engineFull ? new EngineSettings { MaxConnections = 3 } : new EngineSettings { MaxPeersPerTorrent = 3 };
        await using var seeder = await Seeder.StartAsync(settings);
        using var idlest = await seeder.ConnectAsync(1);
        await seeder.WaitForPeersAsync(1);
        await Task.Delay(100);
        using var idle = await seeder.ConnectAsync(2);
        await seeder.WaitForPeersAsync(2);
        using var keen = await seeder.ConnectAsync(3);
        await keen.SendAsync(PeerMessageKind.Interested);
        await seeder.WaitForPeersAsync(3);

        using var newcomer = await seeder.ConnectAsync(4);

        await idlest.Closed.WaitAsync(Wait);
        await TransferTests.WaitForAsync(() => newcomer.Messages > 0, Wait, newcomer.ToString);
        await seeder.WaitForPeersAsync(3);
        Assert.False(idle.Closed.IsCompleted || keen.Closed.IsCompleted || newcomer.Closed.IsCompleted, "another peer than the idlest was closed");
    }

    /// <summary>
    /// The attack of issue 14: from one address, 2,000 sockets that finish the handshake and then say nothing and 300
    /// that never finish it. An honest leecher (our own engine, from 127.0.0.1) still connects within 5 s and
    /// downloads. With the default cap per address the attacker comes from 127.0.0.2; with the cap raised out of the
    /// way it comes from 127.0.0.1 like the leecher, so the deadlines and the eviction alone must let the leecher in.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.2", null)]
    [InlineData("127.0.0.1", 100_000)]
    public async Task An_honest_leecher_gets_in_within_5_s_and_downloads_while_one_address_holds_2000_idle_and_300_half_open_sockets(string attacker, int? perAddress)
    {
        var (data, torrent) = TestData.Create("attacked.bin", [("", 4 * 1024 * 1024)], 64 * 1024);
        using var _ = data;
        var settings = perAddress is { } cap ? new EngineSettings { MaxConnectionsPerAddress = cap } : new EngineSettings();
        await using var seeder = new ClientEngine(settings);
        await using var leecher = new ClientEngine(new EngineSettings());
        await seeder.StartAsync();
        await leecher.StartAsync();
        var seed = seeder.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Folder("leech") });
        await seed.StartAsync();
        await leech.StartAsync();

        await using var attack = await HostileSockets.OpenAsync(
            IPAddress.Parse(attacker),
            seeder.ListenEndPoint,
            idle: 2000,
            halfOpen: 300,
            i =>
            {
                var hello = new byte[Handshake.Length];
                new Handshake(torrent.InfoHash, System.Text.Encoding.ASCII.GetBytes($"-XX0000-idle{i:D8}"), false, false).Encode(hello);
                return hello;
            });

        var watch = Stopwatch.StartNew();
        leech.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.PeerCount > 0, TimeSpan.FromSeconds(5), () => $"no connection after {watch.Elapsed}: {leech.Status}, seeder {seed.Status}");
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(60), () => leech.Status.ToString());
        TransferTests.AssertSameFiles(torrent, data.Seed, Path.Combine(data.Root, "leech"));
    }

    /// <summary>A started engine seeding a small torrent, and scripted peers that connect to it.</summary>
    private sealed class Seeder : IAsyncDisposable
    {
        private readonly TestData _data;
        private readonly ClientEngine _engine;
        private readonly Torrent _torrent;
        private readonly ITorrentSession _session;

        private Seeder(TestData data, ClientEngine engine, Torrent torrent, ITorrentSession session)
        {
            _data = data;
            _engine = engine;
            _torrent = torrent;
            _session = session;
        }

        public static async Task<Seeder> StartAsync(EngineSettings settings)
        {
            var (data, torrent) = TestData.Create("admission.bin", [("", 5 * PieceLength)], PieceLength);
            var engine = new ClientEngine(settings);
            await engine.StartAsync();
            var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
            await session.StartAsync();
            return new Seeder(data, engine, torrent, session);
        }

        public Task<ScriptedPeer> ConnectAsync(int number, bool handshake = true, IPAddress? from = null) =>
            ScriptedPeer.ConnectAsync(_engine.ListenEndPoint, _torrent.InfoHash, number, handshake, from: from);

        public Task WaitForPeersAsync(int count) =>
            TransferTests.WaitForAsync(() => _session.Status.PeerCount == count, Wait, () => _session.Status.ToString());

        public async ValueTask DisposeAsync()
        {
            await _engine.DisposeAsync();
            _data.Dispose();
        }
    }
}
