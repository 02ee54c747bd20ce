using System.Net.Sockets;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

public sealed class HostilePeerTests
{
    [Theory]
    [InlineData(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 7 }, "a 2 GiB piece message")]
    [InlineData(new byte[] { 0, 0, 0, 200, 5 }, "a bitfield of the wrong size")]
    [InlineData(new byte[] { 0, 0, 0, 13, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1 }, "a request larger than a block")]
    public async Task A_peer_breaking_the_protocol_is_disconnected_before_anything_is_buffered(byte[] message, string what)
    {
        var (data, torrent) = TestData.Create("hostile.bin", [("", 100_000)], 16 * 1024);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await session.StartAsync();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(engine.ListenEndPoint);
        var handshake = new byte[Handshake.Length];
        new Handshake(torrent.InfoHash, "-XX0000-hostile-0001"u8.ToArray(), false, false).Encode(handshake);
        await socket.SendAsync(handshake);
        await socket.SendAsync(message);

        // Drain what the engine sends (handshake, bitfield, maybe unchoke) until it closes the connection.
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var total = 0;
        while (true)
        {
            int read;
            try
            {
                read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                break; // closed with a reset (linger 0): disconnected all the same.
            }

            if (read == 0)
            {
                break;
            }

            total += read;
            Assert.True(total < 64 * 1024, $"the engine kept talking after {what}");
        }

        await TransferTests.WaitForAsync(() => session.Status.PeerCount == 0, TimeSpan.FromSeconds(30), () => session.Status.ToString());
        Assert.Equal(TorrentState.Seeding, session.Status.State);
    }
}
