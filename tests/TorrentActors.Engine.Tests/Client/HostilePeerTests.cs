using System.Diagnostics;
using System.Net.Sockets;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

public sealed class HostilePeerTests
{
    /// <summary>Far beyond the test: only a refusal of the message itself can end the connection in time.</summary>
    private static readonly EngineSettings Patient = new()
    {
        IdleTimeout = TimeSpan.FromMinutes(10),
        KeepAliveInterval = TimeSpan.FromMinutes(10),
        SnubTimeout = TimeSpan.FromMinutes(10),
    };

    /// <summary>
    /// The peer sends a length prefix over what that message may be, its id and a few bytes of the promised body, then
    /// nothing more and keeps its end open. A reader that waited for (and buffered) the body would hold the connection
    /// until the idle timeout; the engine must refuse the length itself, so the connection closes at once.
    /// </summary>
    [Theory]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0 }, "a 2 GiB piece message")]
    [InlineData(new byte[] { 0, 0, 0x40, 0x0A, 7, 0, 0, 0 }, "a piece message one byte over a block")]
    [InlineData(new byte[] { 0, 0, 0, 200, 5, 0xFF }, "a bitfield of 199 bytes for 7 pieces")]
    [InlineData(new byte[] { 0, 0x10, 0, 1, 20, 0 }, "an extended message over 1 MiB")]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 200, 0, 0, 0 }, "a 2 GiB message of an unknown id")]
    public async Task An_oversized_length_prefix_is_refused_before_anything_is_buffered(byte[] prefix, string what)
    {
        await using var peer = await HostilePeer.ConnectAsync(Patient);

        await peer.Socket.SendAsync(prefix);
        var sent = Stopwatch.StartNew();
        await peer.WaitUntilClosedAsync(TimeSpan.FromSeconds(5), what);

        Assert.True(sent.Elapsed < TimeSpan.FromSeconds(5), $"closed only {sent.Elapsed} after {what}");
        await peer.AssertSessionUnharmedAsync();
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, "a request larger than a block")]
    [InlineData(new byte[] { 0, 0, 0, 5, 4, 0, 0, 0, 100 }, "a have for a piece the torrent does not have")]
    public async Task A_peer_breaking_the_protocol_is_disconnected_and_the_torrent_keeps_seeding(byte[] message, string what)
    {
        await using var peer = await HostilePeer.ConnectAsync(Patient);

        await peer.Socket.SendAsync(message);
        await peer.WaitUntilClosedAsync(TimeSpan.FromSeconds(5), what);

        await peer.AssertSessionUnharmedAsync();
    }

    /// <summary>A seeding engine and a raw socket that has shaken hands with it.</summary>
    private sealed class HostilePeer : IAsyncDisposable
    {
        private readonly TestData _data;
        private readonly ClientEngine _engine;

        private HostilePeer(TestData data, ClientEngine engine, ITorrentSession session, Socket socket)
        {
            _data = data;
            _engine = engine;
            Session = session;
            Socket = socket;
        }

        public ITorrentSession Session { get; }

        public Socket Socket { get; }

        public static async Task<HostilePeer> ConnectAsync(EngineSettings settings)
        {
            var (data, torrent) = TestData.Create("hostile.bin", [("", 100_000)], 16 * 1024);
            var engine = new ClientEngine(settings);
            await engine.StartAsync();
            var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
            await session.StartAsync();

            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(engine.ListenEndPoint);
            var handshake = new byte[Handshake.Length];
            new Handshake(torrent.InfoHash, "-XX0000-hostile-0001"u8.ToArray(), false, false).Encode(handshake);
            await socket.SendAsync(handshake);
            return new HostilePeer(data, engine, session, socket);
        }

        /// <summary>Drains what the engine sends (handshake, bitfield, maybe unchoke) until it closes the connection.</summary>
        public async Task WaitUntilClosedAsync(TimeSpan within, string what)
        {
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(within);
            var total = 0;
            while (true)
            {
                int read;
                try
                {
                    read = await Socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    return; // closed with a reset (linger 0): disconnected all the same.
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    Assert.Fail($"the connection was still open {within.TotalSeconds} s after {what}");
                    return;
                }

                if (read == 0)
                {
                    return;
                }

                total += read;
                Assert.True(total < 64 * 1024, $"the engine kept talking after {what}");
            }
        }

        public async Task AssertSessionUnharmedAsync()
        {
            await TransferTests.WaitForAsync(() => Session.Status.PeerCount == 0, TimeSpan.FromSeconds(30), () => Session.Status.ToString());
            Assert.Equal(TorrentState.Seeding, Session.Status.State);
        }

        public async ValueTask DisposeAsync()
        {
            Socket.Dispose();
            await _engine.DisposeAsync();
            _data.Dispose();
        }
    }
}
