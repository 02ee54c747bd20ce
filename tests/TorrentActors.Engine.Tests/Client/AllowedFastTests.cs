using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>BEP 6: a peer that chokes us may still let us have some pieces ("allowed fast"); we ask for those.</summary>
public sealed class AllowedFastTests
{
    [Fact]
    public async Task While_choked_we_request_only_the_allowed_fast_pieces_and_keep_what_arrives()
    {
        const int pieceLength = 16 * 1024;
        var (data, torrent) = TestData.Create("fast.bin", [("", 20 * pieceLength)], pieceLength);
        using var _ = data;
        var content = await File.ReadAllBytesAsync(Path.Combine(data.Seed, "fast.bin"));
        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var leech = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Folder("empty") });
        await leech.StartAsync();

        using var peer = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 1, fast: true);
        await peer.SendAsync(PeerMessageKind.HaveAll);
        await peer.SendIndexAsync(PeerMessageKind.AllowedFast, 2);
        await peer.SendIndexAsync(PeerMessageKind.AllowedFast, 5);

        // The peer never unchokes us: everything asked for must be an allowed piece.
        await TransferTests.WaitForAsync(() => peer.Requested.Select(r => r.Piece).Distinct().Count() == 2, TimeSpan.FromSeconds(30), () => peer.ToString());
        Assert.All(peer.Requested, r => Assert.Contains(r.Piece, new[] { 2, 5 }));

        foreach (var (piece, begin, length) in peer.Requested.Distinct())
        {
            await peer.SendBlockAsync(piece, begin, content.AsMemory((piece * pieceLength) + begin, length));
        }

        await TransferTests.WaitForAsync(() => leech.Status.BytesVerified == 2 * pieceLength, TimeSpan.FromSeconds(30), () => leech.Status.ToString());
        Assert.All(peer.Requested, r => Assert.Contains(r.Piece, new[] { 2, 5 }));
        Assert.Equal(TorrentState.Downloading, leech.Status.State);
    }
}
