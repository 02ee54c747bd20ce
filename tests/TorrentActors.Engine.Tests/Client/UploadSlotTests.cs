using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// Upload slots freed between two rechokes go to waiting peers at once. Before, a swarm's last leechers sat choked
/// by the seeder until the next rechoke (10 s) after the first leechers had finished and left.
/// </summary>
public sealed class UploadSlotTests
{
    [Fact]
    public async Task A_slot_left_by_a_peer_that_goes_away_goes_to_a_waiting_peer_without_waiting_for_the_rechoke() =>
        await AssertFreedSlotGoesToTheWaitingPeerAsync(peer =>
        {
            peer.Dispose();
            return Task.CompletedTask;
        });

    [Fact]
    public async Task A_slot_left_by_a_peer_that_loses_interest_goes_to_a_waiting_peer() =>
        await AssertFreedSlotGoesToTheWaitingPeerAsync(peer => peer.SendAsync(PeerMessageKind.NotInterested));

    /// <summary>
    /// A seeder with one slot by rate plus the optimistic one, and a rechoke interval of ten minutes; three peers want
    /// data, so two are unchoked and one waits. <paramref name="freeSlot"/> makes one unchoked peer give its slot up;
    /// the waiting peer must then be unchoked within seconds.
    /// </summary>
    private static async Task AssertFreedSlotGoesToTheWaitingPeerAsync(Func<ScriptedPeer, Task> freeSlot)
    {
        var (data, torrent) = TestData.Create("slots.bin", [("", 200_000)], 16 * 1024);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings { UnchokeSlots = 1, ChokeInterval = TimeSpan.FromMinutes(10) });
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await session.StartAsync();

        var peers = new List<ScriptedPeer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var peer = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, i);
                await peer.SendAsync(PeerMessageKind.Interested);
                peers.Add(peer);
            }

            // Two peers get the two slots as they say they are interested. The first rechoke (at the session's first
            // tick, a second after it started) may trade one for the other; after that nothing moves for ten minutes.
            await TransferTests.WaitForAsync(() => peers.Count(p => p.Unchoked) == 2, TimeSpan.FromSeconds(30), () => Describe(peers));
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Equal(2, peers.Count(p => p.Unchoked));
            var waiting = peers.Single(p => !p.Unchoked);

            await freeSlot(peers.First(p => p.Unchoked));

            await TransferTests.WaitForAsync(() => waiting.Unchoked, TimeSpan.FromSeconds(20), () => Describe(peers));
        }
        finally
        {
            foreach (var peer in peers)
            {
                peer.Dispose();
            }
        }
    }

    private static string Describe(IEnumerable<ScriptedPeer> peers) => string.Join(", ", peers.Select((p, i) => $"peer {i}: {p}"));
}
