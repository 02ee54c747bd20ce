using Xunit;

namespace TorrentActors.Tracker.Tests;

/// <summary>
/// The open-addressing peer index against a plain dictionary: a long random run of adds, swap-removes (as a swarm
/// does them) and trims, with every id of the pool looked up after each step.
/// </summary>
public sealed class PeerIndexTests
{
    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 40)]
    [InlineData(3, 2_000)]
    public void Finds_exactly_what_a_dictionary_finds_through_adds_swap_removes_and_trims(int seed, int poolSize)
    {
        var random = new Random(seed);
        // Real peer ids share a client prefix; keep the first 8 bytes the same for all of them.
        var pool = Enumerable.Range(0, poolSize).Select(i =>
        {
            var bytes = new byte[20];
            random.NextBytes(bytes);
            "-TA0100-"u8.CopyTo(bytes);
            return new Id20(bytes);
        }).ToArray();

        var index = new PeerIndex();
        var peers = new TrackedPeer[poolSize];
        var count = 0;
        var model = new Dictionary<Id20, int>();
        for (var step = 0; step < 20_000; step++)
        {
            var roll = random.Next(100);
            if (roll < 55 && count < poolSize)
            {
                var id = pool[random.Next(poolSize)];
                if (!model.ContainsKey(id))
                {
                    peers[count] = new TrackedPeer { PeerId = id };
                    count++;
                    index.Add(id, count - 1, peers.AsSpan(0, count));
                    model[id] = count - 1;
                }
            }
            else if (roll < 98 && count > 0)
            {
                var position = random.Next(count);
                var last = count - 1;
                var id = peers[position].PeerId;
                index.Remove(id, position, peers.AsSpan(0, count));
                model.Remove(id);
                if (position != last)
                {
                    peers[position] = peers[last];
                    index.Move(peers[position].PeerId, last, position);
                    model[peers[position].PeerId] = position;
                }

                peers[last] = default;
                count--;
            }
            else
            {
                index.Trim(peers.AsSpan(0, count));
            }

            if (step % 7 == 0 || step > 19_900)
            {
                foreach (var id in pool)
                {
                    Assert.Equal(model.TryGetValue(id, out var expected) ? expected : -1, index.Find(id, peers.AsSpan(0, count)));
                }
            }
        }
    }

    [Fact]
    public void An_index_emptied_and_trimmed_works_again()
    {
        var index = new PeerIndex();
        var peers = new TrackedPeer[1000];
        for (var i = 0; i < peers.Length; i++)
        {
            var bytes = new byte[20];
            BitConverter.TryWriteBytes(bytes, i);
            peers[i] = new TrackedPeer { PeerId = new Id20(bytes) };
            index.Add(peers[i].PeerId, i, peers.AsSpan(0, i + 1));
        }

        for (var count = peers.Length; count > 0; count--)
        {
            index.Remove(peers[count - 1].PeerId, count - 1, peers.AsSpan(0, count));
        }

        index.Trim([]);
        Assert.Equal(-1, index.Find(peers[0].PeerId, []));
        index.Add(peers[5].PeerId, 0, [peers[5]]);
        Assert.Equal(0, index.Find(peers[5].PeerId, [peers[5]]));
    }

    [Fact]
    public void A_tracked_peer_takes_52_bytes()
    {
        Assert.Equal(20, System.Runtime.CompilerServices.Unsafe.SizeOf<Id20>());
        Assert.Equal(20, System.Runtime.CompilerServices.Unsafe.SizeOf<PeerEndpoint>());
        Assert.Equal(52, System.Runtime.CompilerServices.Unsafe.SizeOf<TrackedPeer>());
    }
}
