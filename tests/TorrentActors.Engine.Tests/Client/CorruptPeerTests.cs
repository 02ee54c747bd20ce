using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

public sealed class CorruptPeerTests
{
    [Fact]
    public async Task A_peer_that_sends_bad_blocks_is_banned_and_the_download_completes_from_a_good_peer()
    {
        var (data, torrent) = TestData.Create("corrupt.bin", [("", 40 * 16 * 1024)], 32 * 1024);
        using var _ = data;
        using var liar = new LyingPeer(torrent.InfoHash, torrent.PieceCount);
        await using var pair = await EnginePair.StartAsync(data, torrent);
        var (seeder, leecher, seed, leech) = pair;

        leech.AddPeer(liar.EndPoint);
        await TransferTests.WaitForAsync(() => leech.BannedPeerCount == 1, TimeSpan.FromSeconds(60), () => $"banned {leech.BannedPeerCount}, blocks sent {liar.BlocksSent}");
        Assert.Equal(0, leech.Status.BytesVerified);
        Assert.True(liar.BlocksSent >= 3);

        leech.AddPeer(seeder.ListenEndPoint);
        leech.AddPeer(liar.EndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(90), () => leech.Status.ToString());
        TransferTests.AssertSameFiles(torrent, data.Seed, Path.Combine(data.Root, "leech"));
        Assert.Equal(1, liar.Connections);
    }

    [Fact]
    public async Task A_ban_is_logged_once_though_pieces_the_peer_sent_before_it_fail_after()
    {
        var (data, torrent) = TestData.Create("logged.bin", [("", 40 * 16 * 1024)], 32 * 1024);
        using var _ = data;
        using var liar = new LyingPeer(torrent.InfoHash, torrent.PieceCount);
        var log = new Trackers.ListLogger();
        await using var engine = new ClientEngine(new EngineSettings(), log);
        await engine.StartAsync();
        var leech = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Folder("leech") });
        await leech.StartAsync();

        leech.AddPeer(liar.EndPoint);
        await TransferTests.WaitForAsync(() => leech.BannedPeerCount == 1, TimeSpan.FromSeconds(60), () => $"blocks sent {liar.BlocksSent}");
        await TransferTests.WaitForAsync(() => leech.Status.PeerCount == 0, TimeSpan.FromSeconds(30), () => leech.Status.ToString());
        await Task.Delay(500); // pieces still being checked when the peer was closed

        var failed = log.Warnings.Count(w => w.Contains("failed its hash", StringComparison.Ordinal));
        Assert.True(failed >= 3, $"{failed} pieces failed");
        Assert.Single(log.Warnings, w => w.Contains("banned", StringComparison.Ordinal));
    }

    /// <summary>A scripted peer on a raw socket: handshakes, claims every piece, and answers requests with garbage.</summary>
    private sealed class LyingPeer : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource _stop = new();
        private readonly InfoHash _infoHash;
        private readonly int _pieces;
        private readonly Task _loop;
        private int _blocksSent;
        private int _connections;

        public LyingPeer(InfoHash infoHash, int pieces)
        {
            _infoHash = infoHash;
            _pieces = pieces;
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(4);
            EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
            _loop = Task.Run(AcceptAsync);
        }

        public IPEndPoint EndPoint { get; }

        public int BlocksSent => Volatile.Read(ref _blocksSent);

        public int Connections => Volatile.Read(ref _connections);

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptAsync(_stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }

                Interlocked.Increment(ref _connections);
                _ = Task.Run(() => ServeAsync(socket));
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var _ = socket;
            using var stream = new NetworkStream(socket);
            try
            {
                var handshake = new byte[Handshake.Length];
                await stream.ReadExactlyAsync(handshake, _stop.Token);
                var reply = new byte[Handshake.Length];
                new Handshake(_infoHash, "-XX0000-liar-liar-00"u8.ToArray(), false, false).Encode(reply);
                await stream.WriteAsync(reply, _stop.Token);
                var bits = new BitField(_pieces);
                bits.SetAll();
                var message = new byte[64 + bits.Bytes.Length];
                var n = PeerMessageWriter.WriteBitfield(message, bits.Bytes);
                n += PeerMessageWriter.WriteSimple(message.AsSpan(n), PeerMessageKind.Unchoke);
                await stream.WriteAsync(message.AsMemory(0, n), _stop.Token);
                var header = new byte[4];
                var garbage = new byte[PeerWireConstants.BlockSize + 13];
                new Random(7).NextBytes(garbage);
                while (true)
                {
                    await stream.ReadExactlyAsync(header, _stop.Token);
                    var length = BinaryPrimitives.ReadInt32BigEndian(header);
                    var body = new byte[length];
                    await stream.ReadExactlyAsync(body, _stop.Token);
                    if (length == 13 && body[0] == (byte)PeerMessageKind.Request)
                    {
                        var index = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(1));
                        var begin = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(5));
                        var size = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(9));
                        PeerMessageWriter.WritePieceHeader(garbage, index, begin, size);
                        await stream.WriteAsync(garbage.AsMemory(0, 13 + size), _stop.Token);
                        Interlocked.Increment(ref _blocksSent);
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException)
            {
                Console.Error.WriteLine($"lying peer connection ended: {e.Message}");
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Dispose();
            _loop.Wait(TimeSpan.FromSeconds(5));
            _stop.Dispose();
        }
    }
}
