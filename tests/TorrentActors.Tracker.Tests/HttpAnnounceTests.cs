using System.Net;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Tracker.Tests;

public sealed class HttpAnnounceTests : IAsyncLifetime
{
    private TrackerServer _tracker = null!;

    private static TrackerOptions Options => new() { HttpPort = 0, UdpPort = null, RequestsPerSecondPerAddress = 0 };

    public async Task InitializeAsync() => _tracker = await TrackerServer.StartAsync(Options);

    public async Task DisposeAsync() => await _tracker.DisposeAsync();

    private Task<RawHttp.Response> Get(string target) => RawHttp.GetAsync(_tracker.HttpEndPoint, target);

    [Fact]
    public async Task Compact_reply_lists_the_other_peers_and_leaves_the_announcer_out()
    {
        var hash = Ids.Hash(1);
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(1), 6001, "&left=0&event=started"));
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(2), 6002, "&event=started"));
        var reply = await Get(Ids.AnnounceQuery(hash, Ids.Peer(3), 6003, "&compact=1&event=started"));

        Assert.Equal(200, reply.Status);
        Assert.Equal("text/plain", reply.Headers["content-type"]);
        var d = reply.Bencoded;
        Assert.Null(d.GetText("failure reason"));
        Assert.Equal(1, d.GetInteger("complete"));
        Assert.Equal(2, d.GetInteger("incomplete"));
        Assert.Equal(300, d.GetInteger("interval"));
        Assert.Equal(60, d.GetInteger("min interval"));
        var peers = d.Get<BString>("peers")!.Span.ToArray();
        Assert.Equal(12, peers.Length);
        var ports = Enumerable.Range(0, 2).Select(i => peers[i * 6 + 4] << 8 | peers[i * 6 + 5]).Order().ToArray();
        Assert.Equal([6001, 6002], ports);
        Assert.All(Enumerable.Range(0, 2), i => Assert.Equal(new byte[] { 127, 0, 0, 1 }, peers.AsSpan(i * 6, 4).ToArray()));
    }

    [Fact]
    public async Task Non_compact_reply_carries_ip_peer_id_and_port_and_no_peer_id_drops_the_id()
    {
        var hash = Ids.Hash(2);
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(1), 7001));
        var reply = (await Get(Ids.AnnounceQuery(hash, Ids.Peer(2), 7002, "&compact=0"))).Bencoded;
        var peer = Assert.IsType<BDictionary>(Assert.Single(reply.Get<BList>("peers")!.Items));
        Assert.Equal("127.0.0.1", peer.GetText("ip"));
        Assert.Equal(7001, peer.GetInteger("port"));
        Assert.Equal(Ids.Peer(1), peer.Get<BString>("peer id")!.Span.ToArray());

        var withoutId = (await Get(Ids.AnnounceQuery(hash, Ids.Peer(2), 7002, "&compact=0&no_peer_id=1"))).Bencoded;
        var bare = Assert.IsType<BDictionary>(Assert.Single(withoutId.Get<BList>("peers")!.Items));
        Assert.Null(bare.Get<BString>("peer id"));
        Assert.Equal(7001, bare.GetInteger("port"));
    }

    [Fact]
    public async Task IPv6_peers_come_back_under_peers6_in_18_byte_entries()
    {
        var hash = Ids.Hash(3);
        // A loopback client may name its address with ip= (see HttpTracker): here an IPv6 one.
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(1), 8001, "&ip=%3A%3A1"));
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(2), 8002, "&ip=2001:db8::7"));
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(3), 8003));
        var reply = (await Get(Ids.AnnounceQuery(hash, Ids.Peer(4), 8004))).Bencoded;

        Assert.Equal(6, reply.Get<BString>("peers")!.Length);
        var six = reply.Get<BString>("peers6")!.Span.ToArray();
        Assert.Equal(36, six.Length);
        var entries = Enumerable.Range(0, 2).Select(i => (new IPAddress(six.AsSpan(i * 18, 16)), six[i * 18 + 16] << 8 | six[i * 18 + 17]))
            .OrderBy(e => e.Item2).ToArray();
        Assert.Equal((IPAddress.IPv6Loopback, 8001), entries[0]);
        Assert.Equal((IPAddress.Parse("2001:db8::7"), 8002), entries[1]);
    }

    [Fact]
    public async Task Numwant_is_capped_at_200_and_defaults_to_50()
    {
        var hash = Ids.Hash(4);
        for (var i = 0; i < 230; i++)
        {
            Assert.Null((await Get(Ids.AnnounceQuery(hash, Ids.Peer(i), 10_000 + i))).Failure);
        }

        var greedy = (await Get(Ids.AnnounceQuery(hash, Ids.Peer(1000), 9000, "&numwant=100000"))).Bencoded;
        Assert.Equal(200 * 6, greedy.Get<BString>("peers")!.Length);
        var plain = (await Get(Ids.AnnounceQuery(hash, Ids.Peer(1000), 9000))).Bencoded;
        Assert.Equal(50 * 6, plain.Get<BString>("peers")!.Length);
        var few = (await Get(Ids.AnnounceQuery(hash, Ids.Peer(1000), 9000, "&numwant=3"))).Bencoded;
        Assert.Equal(3 * 6, few.Get<BString>("peers")!.Length);
    }

    [Fact]
    public async Task Stopped_removes_the_peer_and_completed_counts_a_download_once()
    {
        var hash = Ids.Hash(5);
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(1), 6001, "&event=started"));
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(2), 6002, "&event=started"));
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(1), 6001, "&event=completed&left=0"));
        await Get(Ids.AnnounceQuery(hash, Ids.Peer(1), 6001, "&event=completed&left=0"));
        var afterComplete = (await Get(Ids.AnnounceQuery(hash, Ids.Peer(3), 6003, "&event=stopped"))).Bencoded;
        Assert.Equal(1, afterComplete.GetInteger("complete"));
        Assert.Equal(1, afterComplete.GetInteger("incomplete"));
        Assert.Equal(1, afterComplete.GetInteger("downloaded"));

        await Get(Ids.AnnounceQuery(hash, Ids.Peer(2), 6002, "&event=stopped"));
        var reply = (await Get(Ids.AnnounceQuery(hash, Ids.Peer(9), 6009))).Bencoded;
        Assert.Equal(6, reply.Get<BString>("peers")!.Length); // Only peer 1 is left.
        Assert.Equal(0, reply.GetInteger("incomplete") - 1); // The announcer itself is the one leecher.
        Assert.Equal(1, reply.GetInteger("complete"));
    }

    [Theory]
    [InlineData("/announce?peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50&port=1", "missing info_hash")]
    [InlineData("/announce?info_hash=%A0%A0&peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50&port=1", "invalid info_hash")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0&peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50&port=1", "invalid info_hash")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%Z0&peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50&port=1", "invalid info_hash")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0&port=1", "missing peer_id")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0&peer_id=short&port=1", "invalid peer_id")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0&peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50", "missing port")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0&peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50&port=70000", "invalid port")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0&peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50&port=-1", "invalid port")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0&peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50&port=1&left=lots", "invalid left")]
    [InlineData("/announce?info_hash=%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0%A0&peer_id=%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50%50&port=1&event=exploded", "invalid event")]
    [InlineData("/announce", "missing info_hash")]
    public async Task Bad_announces_get_a_bencoded_failure_reason_with_status_200(string target, string reason)
    {
        var reply = await Get(target);
        Assert.Equal(200, reply.Status);
        Assert.StartsWith("d14:failure reason", System.Text.Encoding.ASCII.GetString(reply.Body));
        Assert.StartsWith(reason, reply.Failure);
    }

    [Fact]
    public async Task An_oversized_query_gets_a_failure_and_the_tracker_keeps_serving()
    {
        var padding = "&key=" + new string('x', 5000);
        var reply = await Get(Ids.AnnounceQuery(Ids.Hash(6), Ids.Peer(1), 6001, padding));
        Assert.Equal("request too long", reply.Failure);
        var huge = await Get("/announce?" + new string('y', 9000));
        Assert.True(huge.Status is 414 or 400 or 431, $"status {huge.Status}");
        Assert.Null((await Get(Ids.AnnounceQuery(Ids.Hash(6), Ids.Peer(1), 6001))).Failure);
    }

    [Fact]
    public async Task Scrape_reports_one_several_or_all_torrents()
    {
        var a = Ids.Hash(7);
        var b = Ids.Hash(8);
        await Get(Ids.AnnounceQuery(a, Ids.Peer(1), 6001, "&left=0"));
        await Get(Ids.AnnounceQuery(a, Ids.Peer(2), 6002));
        await Get(Ids.AnnounceQuery(b, Ids.Peer(3), 6003, "&event=completed&left=0"));

        var one = (await Get($"/scrape?info_hash={RawHttp.Encode(a)}")).Bencoded.Get<BDictionary>("files")!;
        var stats = Assert.IsType<BDictionary>(Assert.Single(one.Entries).Value);
        Assert.Equal(a, Assert.Single(one.Entries).Key.Span.ToArray());
        Assert.Equal((1L, 1L, 0L), (stats.GetInteger("complete")!.Value, stats.GetInteger("incomplete")!.Value, stats.GetInteger("downloaded")!.Value));

        var two = (await Get($"/scrape?info_hash={RawHttp.Encode(b)}&info_hash={RawHttp.Encode(a)}")).Bencoded.Get<BDictionary>("files")!;
        Assert.Equal(2, two.Count);
        var bStats = (BDictionary)two.Entries.Single(e => e.Key.Span.SequenceEqual(b)).Value;
        Assert.Equal(1, bStats.GetInteger("downloaded"));
        Assert.Equal(1, bStats.GetInteger("complete"));

        var all = (await Get("/scrape")).Bencoded.Get<BDictionary>("files")!;
        Assert.True(all.Count >= 2);
        Assert.Contains(all.Entries, e => e.Key.Span.SequenceEqual(a));
    }

    [Fact]
    public async Task Full_scrape_can_be_turned_off()
    {
        await using var tracker = await TrackerServer.StartAsync(Options with { AllowScrapeAll = false });
        var reply = await RawHttp.GetAsync(tracker.HttpEndPoint, "/scrape");
        Assert.StartsWith("full scrape is disabled", reply.Failure);
    }

    [Fact]
    public async Task Private_mode_refuses_unknown_torrents_until_they_are_allowed()
    {
        var allowed = new InfoHash(Ids.Hash(10));
        var later = new InfoHash(Ids.Hash(11));
        await using var tracker = await TrackerServer.StartAsync(Options with { AllowList = new HashSet<InfoHash> { allowed } });
        Assert.Null((await RawHttp.GetAsync(tracker.HttpEndPoint, Ids.AnnounceQuery(Ids.Hash(10), Ids.Peer(1), 6001))).Failure);
        Assert.Equal("torrent not allowed on this tracker",
            (await RawHttp.GetAsync(tracker.HttpEndPoint, Ids.AnnounceQuery(Ids.Hash(11), Ids.Peer(1), 6001))).Failure);

        Assert.True(tracker.Allow(later));
        Assert.Null((await RawHttp.GetAsync(tracker.HttpEndPoint, Ids.AnnounceQuery(Ids.Hash(11), Ids.Peer(1), 6001))).Failure);
    }

    [Fact]
    public async Task A_flooding_address_is_told_to_slow_down()
    {
        await using var tracker = await TrackerServer.StartAsync(Options with { RequestsPerSecondPerAddress = 0.01, RequestBurstPerAddress = 5, ExemptLoopbackFromRateLimit = false });
        var failures = new List<string?>();
        for (var i = 0; i < 8; i++)
        {
            failures.Add((await RawHttp.GetAsync(tracker.HttpEndPoint, Ids.AnnounceQuery(Ids.Hash(12), Ids.Peer(i), 6001 + i))).Failure);
        }

        Assert.All(failures.Take(5), Assert.Null);
        Assert.All(failures.Skip(5), f => Assert.Equal("too many requests, slow down", f));
    }

    [Fact]
    public async Task Unknown_paths_are_404()
    {
        Assert.Equal(404, (await Get("/")).Status);
        Assert.Equal(404, (await Get("/torrents/x.torrent")).Status); // No torrent folder configured.
    }
}
