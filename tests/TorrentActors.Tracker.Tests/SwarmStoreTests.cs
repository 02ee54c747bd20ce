using System.Net;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Tracker.Tests;

public sealed class SwarmStoreTests
{
    private readonly ManualClock _clock = new();

    private SwarmStore Store(Func<TrackerOptions, TrackerOptions>? tweak = null) =>
        new((tweak ?? (o => o))(new TrackerOptions { TimeProvider = _clock, Interval = TimeSpan.FromMinutes(5) }));

    private static AnnounceRequest Announce(int torrent, int peer, long left = 10, AnnounceEvent e = AnnounceEvent.None) =>
        new(new Id20(Ids.Hash(torrent)), new Id20(Ids.Peer(peer)), PeerEndpoint.From(IPAddress.Parse("10.1.0.1"), (ushort)(1000 + peer)), left, e, 50);

    private static AnnounceStatus Send(SwarmStore store, AnnounceRequest request, out int selected, out SwarmCounts counts)
    {
        var peers = new TrackedPeer[200];
        return store.Announce(request, peers.AsSpan(0, request.NumWant), out selected, out counts);
    }

    [Fact]
    public void Peers_that_miss_announces_for_twice_the_interval_expire()
    {
        var store = Store();
        Send(store, Announce(1, 1), out _, out _);
        _clock.Advance(TimeSpan.FromMinutes(6));
        Send(store, Announce(1, 2), out _, out _);
        _clock.Advance(TimeSpan.FromMinutes(5)); // Peer 1 silent for 11 minutes, peer 2 for 5.
        store.SweepAll();

        Assert.Equal(new SwarmCounts(0, 1, 0), store.Scrape(new Id20(Ids.Hash(1))));
        Assert.Equal(1, store.PeerCount);
    }

    [Fact]
    public void A_peer_that_keeps_announcing_stays()
    {
        var store = Store();
        for (var minute = 0; minute < 60; minute += 5)
        {
            Send(store, Announce(1, 1), out _, out _);
            _clock.Advance(TimeSpan.FromMinutes(5));
            store.SweepAll();
        }

        Assert.Equal(1, store.PeerCount);
    }

    [Fact]
    public void Expired_peers_are_dropped_lazily_on_access_too()
    {
        var store = Store();
        Send(store, Announce(1, 1), out _, out _);
        _clock.Advance(TimeSpan.FromMinutes(13)); // Beyond the timeout plus a quarter: due for a sweep.
        Send(store, Announce(1, 2), out var selected, out var counts);
        Assert.Equal(0, selected);
        Assert.Equal(1, counts.Leechers);
    }

    [Fact]
    public void Empty_torrents_are_forgotten_after_a_timeout()
    {
        var store = Store();
        Send(store, Announce(1, 1), out _, out _);
        Send(store, Announce(1, 1, e: AnnounceEvent.Stopped), out _, out _);
        Assert.Equal(1, store.TorrentCount);
        _clock.Advance(TimeSpan.FromMinutes(11));
        store.SweepAll();
        Assert.Equal(0, store.TorrentCount);
        Assert.Empty(store.ScrapeAll());
    }

    [Fact]
    public void Peers_per_torrent_are_capped_but_still_answered()
    {
        var store = Store(o => o with { MaxPeersPerTorrent = 10 });
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(AnnounceStatus.Ok, Send(store, Announce(1, i), out _, out _));
        }

        Send(store, Announce(1, 99), out var selected, out var counts);
        Assert.Equal(10, counts.Leechers);
        Assert.Equal(10, selected);
        Assert.Equal(10, store.PeerCount);
    }

    [Fact]
    public void Peers_overall_are_capped()
    {
        var store = Store(o => o with { MaxPeers = 30 });
        for (var t = 0; t < 10; t++)
        {
            for (var p = 0; p < 10; p++)
            {
                Send(store, Announce(t, p), out _, out _);
            }
        }

        Assert.Equal(30, store.PeerCount);
        Assert.Equal(30, store.ScrapeAll().Sum(e => e.Counts.Leechers));
    }

    [Fact]
    public void Torrents_are_capped()
    {
        var store = Store(o => o with { MaxTorrents = 3 });
        for (var t = 0; t < 3; t++)
        {
            Assert.Equal(AnnounceStatus.Ok, Send(store, Announce(t, 1), out _, out _));
        }

        Assert.Equal(AnnounceStatus.TrackerFull, Send(store, Announce(3, 1), out _, out _));
        Assert.Equal(AnnounceStatus.Ok, Send(store, Announce(2, 2), out _, out _));
        Assert.Equal(3, store.TorrentCount);
    }

    [Fact]
    public void Allow_list_refuses_other_torrents()
    {
        var store = Store(o => o with { AllowList = new HashSet<InfoHash> { new(Ids.Hash(1)) } });
        Assert.Equal(AnnounceStatus.Ok, Send(store, Announce(1, 1), out _, out _));
        Assert.Equal(AnnounceStatus.NotAllowed, Send(store, Announce(2, 1), out _, out _));
        Assert.Equal(0, store.Scrape(new Id20(Ids.Hash(2))).Leechers);
    }

    [Fact]
    public void Concurrent_announces_keep_counts_consistent()
    {
        var store = Store();
        Parallel.For(0, 8, worker =>
        {
            for (var i = 0; i < 2000; i++)
            {
                var e = i % 3 == 0 ? AnnounceEvent.Stopped : AnnounceEvent.Started;
                Send(store, Announce(i % 7, worker * 100 + i % 50, left: i % 2, e), out _, out _);
            }
        });

        var all = store.ScrapeAll();
        Assert.Equal(store.PeerCount, all.Sum(e => e.Counts.Seeders + e.Counts.Leechers));
    }

    [Fact]
    public void Rate_limiter_refills_over_time()
    {
        var limiter = new AddressRateLimiter(1, 2, _clock);
        var client = PeerEndpoint.From(IPAddress.Parse("10.9.9.9"), 1);
        Assert.True(limiter.TryAcquire(client));
        Assert.True(limiter.TryAcquire(client.WithPort(2))); // Same address, other port: same bucket.
        Assert.False(limiter.TryAcquire(client));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(client));
        Assert.True(limiter.TryAcquire(PeerEndpoint.From(IPAddress.Parse("10.9.9.8"), 1)));
    }

    [Fact]
    public void Loopback_clients_can_be_exempt_from_the_rate_limit()
    {
        var limiter = new AddressRateLimiter(1, 1, _clock, exemptLoopback: true);
        var local = PeerEndpoint.From(IPAddress.Loopback, 1);
        var local6 = PeerEndpoint.From(IPAddress.IPv6Loopback, 1);
        Assert.All(Enumerable.Range(0, 10), _ => Assert.True(limiter.TryAcquire(local) && limiter.TryAcquire(local6)));
        var remote = PeerEndpoint.From(IPAddress.Parse("10.1.1.1"), 1);
        Assert.True(limiter.TryAcquire(remote));
        Assert.False(limiter.TryAcquire(remote));
    }

    [Fact]
    public void Rate_limiter_table_stays_bounded_under_many_sources()
    {
        var limiter = new AddressRateLimiter(1, 2, _clock);
        for (var i = 0; i < AddressRateLimiter.MaxAddresses + 5000; i++)
        {
            limiter.TryAcquire(PeerEndpoint.From(new IPAddress((uint)i + 1), 1));
            limiter.TryAcquire(PeerEndpoint.From(new IPAddress((uint)i + 1), 1));
        }

        Assert.True(limiter.TrackedAddresses <= AddressRateLimiter.MaxAddresses);
    }
}
