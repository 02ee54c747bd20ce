using System.Collections.Concurrent;
using System.Net;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Tracker.Tests;

/// <summary>The embedding node learns of each announced peer at once (it hands them to its own sessions).</summary>
public sealed class AnnouncedPeerTests
{
    [Fact]
    public async Task Every_recorded_announce_but_stopped_is_told_with_the_torrent_the_peer_endpoint_and_whether_it_seeds()
    {
        var told = new ConcurrentQueue<AnnouncedPeer>();
        await using var tracker = await TrackerServer.StartAsync(new TrackerOptions { HttpPort = 0, UdpPort = null, RequestsPerSecondPerAddress = 0 },
            loggerFactory: null, peerAnnounced: told.Enqueue);
        var hash = Ids.Hash(1);

        await RawHttp.GetAsync(tracker.HttpEndPoint, Ids.AnnounceQuery(hash, Ids.Peer(1), 6001, "&event=started"));
        await RawHttp.GetAsync(tracker.HttpEndPoint, Ids.AnnounceQuery(hash, Ids.Peer(2), 6002, "&left=0"));
        await RawHttp.GetAsync(tracker.HttpEndPoint, Ids.AnnounceQuery(hash, Ids.Peer(1), 6001, "&event=stopped"));
        await RawHttp.GetAsync(tracker.HttpEndPoint, "/announce?info_hash=short");

        Assert.Equal(
            [
                new AnnouncedPeer(new InfoHash(hash), new IPEndPoint(IPAddress.Loopback, 6001), Seeding: false),
                new AnnouncedPeer(new InfoHash(hash), new IPEndPoint(IPAddress.Loopback, 6002), Seeding: true),
            ],
            told.ToArray());
    }

    [Fact]
    public void An_announce_recorded_as_the_udp_side_records_it_is_told_too()
    {
        var told = new List<AnnouncedPeer>();
        var store = new SwarmStore(new TrackerOptions(), told.Add);
        var request = new AnnounceRequest(new Id20(Ids.Hash(2)), new Id20(Ids.Peer(3)), PeerEndpoint.From(IPAddress.IPv6Loopback, 7003), 5,
            AnnounceEvent.Started, 50, PeerFamily.V6);

        store.Announce(request, new TrackedPeer[50], out _, out _);

        Assert.Equal(new AnnouncedPeer(new InfoHash(Ids.Hash(2)), new IPEndPoint(IPAddress.IPv6Loopback, 7003), Seeding: false), Assert.Single(told));
    }
}
