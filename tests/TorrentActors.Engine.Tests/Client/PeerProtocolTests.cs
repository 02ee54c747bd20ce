using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// The parts of a run seen from a peer played over a real socket: the opening messages and uploads
/// (<c>PeerProtocol</c>, <c>UploadChoking</c>), what a leecher asks for (<c>RequestScheduler</c>) and what it does
/// with the blocks it gets (<c>PieceCompletion</c>).
/// </summary>
public sealed class PeerProtocolTests
{
    private const int PieceLength = 32 * 1024;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData(true, PeerMessageKind.HaveAll)]
    [InlineData(false, PeerMessageKind.Bitfield)]
    public async Task A_seeder_opens_with_have_all_to_a_fast_peer_and_with_its_bitfield_to_another(bool fast, PeerMessageKind opening)
    {
        var (data, torrent) = TestData.Create("open.bin", [("", 5 * PieceLength)], PieceLength);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        await engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed }).StartAsync();

        using var peer = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 1, fast: fast);

        await TransferTests.WaitForAsync(() => peer.Kinds.Count > 0, Wait, peer.ToString);
        Assert.Equal(opening, peer.Kinds[0]);
    }

    [Fact]
    public async Task A_peer_refused_for_lack_of_room_among_useful_peers_is_closed_before_we_answer_its_handshake()
    {
        var (data, torrent) = TestData.Create("full.bin", [("", 5 * PieceLength)], PieceLength);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings { MaxPeersPerTorrent = 1 });
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await session.StartAsync();
        using var first = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 1);
        await first.SendAsync(PeerMessageKind.Interested); // of use: not one to make room
        await TransferTests.WaitForAsync(() => session.Status.PeerCount == 1, Wait, () => session.Status.ToString());

        using var second = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        await second.ConnectAsync(engine.ListenEndPoint);
        var hello = new byte[Handshake.Length];
        new Handshake(torrent.InfoHash, "-XX0000-refused-0001"u8.ToArray(), false, false).Encode(hello);
        await second.SendAsync(hello);

        var received = 0;
        var buffer = new byte[1024];
        using var timeout = new CancellationTokenSource(Wait);
        try
        {
            while (await second.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, timeout.Token) is var read and > 0)
            {
                received += read;
            }
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset)
        {
            // closed with a reset: refused all the same
        }

        Assert.Equal(0, received);
        Assert.Equal(1, session.Status.PeerCount);
    }

    [Fact]
    public async Task A_request_from_a_peer_we_choke_is_rejected_and_once_a_slot_frees_it_is_answered_with_the_data()
    {
        var (data, torrent) = TestData.Create("upload.bin", [("", 5 * PieceLength)], PieceLength);
        using var _ = data;
        var bytes = File.ReadAllBytes(Path.Combine(data.Seed, "upload.bin"));
        await using var engine = new ClientEngine(new EngineSettings { UnchokeSlots = 0, ChokeInterval = TimeSpan.FromMinutes(10) });
        await engine.StartAsync();
        await engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed }).StartAsync();

        // No regular slot, only the optimistic one: the first interested peer takes it.
        using var first = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 1, fast: true);
        await first.SendAsync(PeerMessageKind.Interested);
        await TransferTests.WaitForAsync(() => first.Unchoked, Wait, first.ToString);
        using var second = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 2, fast: true);
        await second.SendAsync(PeerMessageKind.Interested);
        await second.SendRequestAsync(1, 16 * 1024, 16 * 1024);

        await TransferTests.WaitForAsync(() => second.Rejected.Count == 1, Wait, second.ToString);
        Assert.Equal((PeerMessageKind.Reject, 1, 16 * 1024, 16 * 1024), second.Rejected[0]);
        Assert.Empty(second.Blocks);

        first.Dispose();
        await TransferTests.WaitForAsync(() => second.Unchoked, Wait, second.ToString);
        await second.SendRequestAsync(3, 0, 16 * 1024);
        await TransferTests.WaitForAsync(() => second.Blocks.Count == 1, Wait, second.ToString);
        var (piece, begin, block) = second.Blocks[0];
        Assert.Equal((3, 0), (piece, begin));
        Assert.Equal(bytes.AsSpan(3 * PieceLength, 16 * 1024).ToArray(), block);
    }

    [Fact]
    public async Task A_leecher_asks_a_peer_only_for_the_pieces_it_has_and_keeps_a_piece_that_arrives_whole()
    {
        var (data, torrent) = TestData.Create("leech.bin", [("", 6 * PieceLength)], PieceLength);
        using var _ = data;
        var bytes = File.ReadAllBytes(Path.Combine(data.Seed, "leech.bin"));
        var leechFolder = data.Folder("leech");
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = leechFolder });
        await session.StartAsync();

        using var peer = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 1);
        await peer.SendRawAsync([0, 0, 0, 2, (byte)PeerMessageKind.Bitfield, 0b0010_0000]); // piece 2 only
        await peer.SendAsync(PeerMessageKind.Unchoke);
        await TransferTests.WaitForAsync(() => peer.Requests >= 2, Wait, peer.ToString);
        Assert.Equal(PeerMessageKind.Interested, peer.Kinds.First(k => k is PeerMessageKind.Interested or PeerMessageKind.NotInterested));
        Assert.All(peer.Requested, r => Assert.Equal(2, r.Piece));
        Assert.Equal([(2, 0, 16 * 1024), (2, 16 * 1024, 16 * 1024)], peer.Requested.OrderBy(r => r.Begin));

        foreach (var (_, begin, length) in peer.Requested)
        {
            await peer.SendBlockAsync(2, begin, bytes.AsMemory((2 * PieceLength) + begin, length));
        }

        await TransferTests.WaitForAsync(() => session.Status.BytesVerified == PieceLength, Wait, () => session.Status.ToString());
        var written = new byte[PieceLength];
        using (var file = File.OpenRead(Path.Combine(leechFolder, "leech.bin")))
        {
            file.Position = 2 * PieceLength;
            file.ReadExactly(written);
        }

        Assert.Equal(bytes.AsSpan(2 * PieceLength, PieceLength).ToArray(), written);
        await TransferTests.WaitForAsync(() => peer.Haves.Contains(2), Wait, peer.ToString);

        // The peer now has nothing we lack: we are no longer interested. A new piece it announces makes us ask again.
        await TransferTests.WaitForAsync(() => peer.Kinds.Contains(PeerMessageKind.NotInterested), Wait, peer.ToString);
        await peer.SendIndexAsync(PeerMessageKind.Have, 4);
        await TransferTests.WaitForAsync(() => peer.Requested.Any(r => r.Piece == 4), Wait, peer.ToString);
    }
}
