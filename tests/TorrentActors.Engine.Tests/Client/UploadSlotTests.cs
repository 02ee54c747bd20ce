using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
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
        await AssertFreedSlotGoesToTheWaitingPeerAsync(peer => peer.SendNotInterestedAsync());

    /// <summary>
    /// A seeder with one slot by rate plus the optimistic one, and a rechoke interval of ten minutes; three peers want
    /// data, so two are unchoked and one waits. <paramref name="freeSlot"/> makes one unchoked peer give its slot up;
    /// the waiting peer must then be unchoked within seconds.
    /// </summary>
    private static async Task AssertFreedSlotGoesToTheWaitingPeerAsync(Func<WantingPeer, Task> freeSlot)
    {
        var (data, torrent) = TestData.Create("slots.bin", [("", 200_000)], 16 * 1024);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings { UnchokeSlots = 1, ChokeInterval = TimeSpan.FromMinutes(10) });
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await session.StartAsync();

        var peers = new List<WantingPeer>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                peers.Add(await WantingPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, i));
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

    private static string Describe(IEnumerable<WantingPeer> peers) =>
        string.Join(", ", peers.Select((p, i) => $"peer {i}: {(p.Unchoked ? "unchoked" : "choked")} after {p.Messages} messages"));

    /// <summary>A scripted peer that has nothing, says it is interested, and follows the seeder's choke and unchoke messages.</summary>
    private sealed class WantingPeer : IDisposable
    {
        private readonly Socket _socket;
        private readonly CancellationTokenSource _stop = new();
        private int _unchoked;
        private int _messages;

        private WantingPeer(Socket socket)
        {
            _socket = socket;
        }

        public bool Unchoked => Volatile.Read(ref _unchoked) == 1;

        public int Messages => Volatile.Read(ref _messages);

        public static async Task<WantingPeer> ConnectAsync(IPEndPoint engine, InfoHash infoHash, int number)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(engine);
            var hello = new byte[Handshake.Length + 5];
            var peerId = System.Text.Encoding.ASCII.GetBytes($"-XX0000-wanting-{number:D4}");
            new Handshake(infoHash, peerId, false, false).Encode(hello);
            BinaryPrimitives.WriteInt32BigEndian(hello.AsSpan(Handshake.Length), 1);
            hello[Handshake.Length + 4] = (byte)PeerMessageKind.Interested;
            await socket.SendAsync(hello);
            var peer = new WantingPeer(socket);
            _ = peer.ReadAsync();
            return peer;
        }

        public async Task SendNotInterestedAsync() =>
            await _socket.SendAsync(new byte[] { 0, 0, 0, 1, (byte)PeerMessageKind.NotInterested });

        /// <summary>Skips the handshake, then reads length-prefixed messages and keeps the latest choke state.</summary>
        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            var filled = 0;
            var handshakeSeen = false;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                    var offset = 0;
                    if (!handshakeSeen)
                    {
                        if (filled < Handshake.Length)
                        {
                            continue;
                        }

                        handshakeSeen = true;
                        offset = Handshake.Length;
                    }

                    while (filled - offset >= 4)
                    {
                        var length = BinaryPrimitives.ReadInt32BigEndian(buffer.AsSpan(offset));
                        if (length < 0 || length > buffer.Length - 4 || filled - offset - 4 < length)
                        {
                            break;
                        }

                        if (length > 0)
                        {
                            var kind = (PeerMessageKind)buffer[offset + 4];
                            if (kind is PeerMessageKind.Choke or PeerMessageKind.Unchoke)
                            {
                                Volatile.Write(ref _unchoked, kind == PeerMessageKind.Unchoke ? 1 : 0);
                            }
                        }

                        Interlocked.Increment(ref _messages);
                        offset += 4 + length;
                    }

                    buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                    filled -= offset;
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The test closed this peer, or the engine did.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _socket.Dispose();
        }
    }
}
