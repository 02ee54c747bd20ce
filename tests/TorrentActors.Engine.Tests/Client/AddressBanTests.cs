using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// A ban for bad data holds for where the peer comes from, not only for the peer id it chose: on 127.0.0.1 (every
/// test peer's address) that is the address and port it connects from.
/// </summary>
public sealed class AddressBanTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_banned_liar_that_comes_back_with_a_new_peer_id_from_the_same_endpoint_is_closed_before_we_send_anything()
    {
        var (data, torrent) = TestData.Create("liar.bin", [("", 40 * 16 * 1024)], 32 * 1024);
        using var _ = data;
        var log = new Trackers.ListLogger();
        await using var engine = new ClientEngine(new EngineSettings(), log);
        await engine.StartAsync();
        var leech = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Folder("leech") });
        await leech.StartAsync();
        var source = FreeLoopbackEndPoint();

        var first = await IncomingLiar.ConnectAsync(source, engine.ListenEndPoint, torrent.InfoHash, torrent.PieceCount, "-XX0000-liar-first-1"u8.ToArray());
        await TransferTests.WaitForAsync(() => leech.BannedPeerCount == 1, Wait, () => $"banned {leech.BannedPeerCount}, blocks sent {first.BlocksSent}");
        await first.Ended.WaitAsync(Wait);
        await TransferTests.WaitForAsync(() => leech.Status.PeerCount == 0, Wait, () => leech.Status.ToString());
        await Task.Delay(500); // pieces still being checked when the liar was closed
        var failedBefore = HashFailures(log);

        var second = await IncomingLiar.ConnectAsync(source, engine.ListenEndPoint, torrent.InfoHash, torrent.PieceCount, "-XX0000-liar-second2"u8.ToArray());
        await second.Ended.WaitAsync(Wait);
        await Task.Delay(500);

        Assert.Equal(0, second.BytesReceived);
        Assert.Equal(0, second.BlocksSent);
        Assert.Equal(failedBefore, HashFailures(log));
        Assert.Equal(0, leech.Status.BytesVerified);
    }

    private static int HashFailures(Trackers.ListLogger log) => log.Warnings.Count(w => w.Contains("failed its hash", StringComparison.Ordinal));

    private static IPEndPoint FreeLoopbackEndPoint()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (IPEndPoint)probe.LocalEndPoint!;
    }

    /// <summary>
    /// A liar that dials the engine from a fixed source endpoint: it handshakes with the peer id it is given, claims
    /// every piece, unchokes, and answers every request with garbage until the engine closes the connection.
    /// </summary>
    private sealed class IncomingLiar
    {
        private int _blocksSent;
        private long _bytesReceived;

        private IncomingLiar()
        {
        }

        public int BlocksSent => Volatile.Read(ref _blocksSent);

        /// <summary>Bytes the engine sent, its handshake included.</summary>
        public long BytesReceived => Interlocked.Read(ref _bytesReceived);

        public Task Ended { get; private set; } = Task.CompletedTask;

        public static async Task<IncomingLiar> ConnectAsync(IPEndPoint source, IPEndPoint engine, InfoHash infoHash, int pieces, byte[] peerId)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(source);
            await socket.ConnectAsync(engine);
            var liar = new IncomingLiar();
            liar.Ended = Task.Run(() => liar.RunAsync(socket, infoHash, pieces, peerId));
            return liar;
        }

        private async Task RunAsync(Socket socket, InfoHash infoHash, int pieces, byte[] peerId)
        {
            using var _ = socket;
            using var stream = new NetworkStream(socket);
            using var timeout = new CancellationTokenSource(Wait);
            try
            {
                var hello = new byte[Handshake.Length];
                new Handshake(infoHash, peerId, false, false).Encode(hello);
                var bits = new BitField(pieces);
                bits.SetAll();
                var opening = new byte[hello.Length + 64 + bits.Bytes.Length];
                hello.CopyTo(opening, 0);
                var n = hello.Length + PeerMessageWriter.WriteBitfield(opening.AsSpan(hello.Length), bits.Bytes);
                n += PeerMessageWriter.WriteSimple(opening.AsSpan(n), PeerMessageKind.Unchoke);
                await stream.WriteAsync(opening.AsMemory(0, n), timeout.Token);

                var theirs = new byte[Handshake.Length];
                await ReadExactlyAsync(stream, theirs, timeout.Token);
                var header = new byte[4];
                var garbage = new byte[PeerWireConstants.BlockSize + 13];
                new Random(7).NextBytes(garbage);
                while (true)
                {
                    await ReadExactlyAsync(stream, header, timeout.Token);
                    var length = BinaryPrimitives.ReadInt32BigEndian(header);
                    var body = new byte[length];
                    await ReadExactlyAsync(stream, body, timeout.Token);
                    if (length == 13 && body[0] == (byte)PeerMessageKind.Request)
                    {
                        var index = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(1));
                        var begin = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(5));
                        var size = BinaryPrimitives.ReadInt32BigEndian(body.AsSpan(9));
                        PeerMessageWriter.WritePieceHeader(garbage, index, begin, size);
                        await stream.WriteAsync(garbage.AsMemory(0, 13 + size), timeout.Token);
                        Interlocked.Increment(ref _blocksSent);
                    }
                }
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException)
            {
                // The engine closed the connection (a reset, with linger 0) or the test ran out of time.
            }
        }

        /// <summary>Reads exactly <paramref name="buffer"/>'s length, counting every byte the engine sent.</summary>
        private async Task ReadExactlyAsync(NetworkStream stream, byte[] buffer, CancellationToken cancellationToken)
        {
            for (var filled = 0; filled < buffer.Length;)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken);
                if (read == 0)
                {
                    throw new EndOfStreamException("the engine closed the connection");
                }

                filled += read;
                Interlocked.Add(ref _bytesReceived, read);
            }
        }
    }
}
