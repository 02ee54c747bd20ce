using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// Peers that stop talking are let go: a connection that never handshakes, a peer that goes silent (after the engine
/// has kept the connection alive), and a peer that accepts our requests and never sends a block.
/// </summary>
public sealed class PeerTimeoutTests
{
    [Fact]
    public async Task A_connection_that_never_handshakes_is_closed_after_the_handshake_timeout()
    {
        var (data, torrent) = TestData.Create("quiet.bin", [("", 50_000)], 16 * 1024);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings { HandshakeTimeout = TimeSpan.FromSeconds(1) });
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await session.StartAsync();

        using var mute = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 1, handshake: false);

        await mute.Closed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, mute.Messages);
        Assert.Equal(TorrentState.Seeding, session.Status.State);
    }

    [Fact]
    public async Task A_silent_peer_gets_keep_alives_and_is_closed_after_the_idle_timeout()
    {
        var (data, torrent) = TestData.Create("quiet.bin", [("", 50_000)], 16 * 1024);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings
        {
            KeepAliveInterval = TimeSpan.FromSeconds(1),
            IdleTimeout = TimeSpan.FromSeconds(4),
        });
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await session.StartAsync();

        using var silent = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 1);
        await TransferTests.WaitForAsync(() => session.Status.PeerCount == 1, TimeSpan.FromSeconds(30), () => session.Status.ToString());

        await silent.Closed.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(silent.KeepAlives >= 1, $"the engine kept the connection alive first: {silent}");
        await TransferTests.WaitForAsync(() => session.Status.PeerCount == 0, TimeSpan.FromSeconds(30), () => session.Status.ToString());
    }

    [Fact]
    public async Task A_peer_that_unchokes_us_and_never_sends_a_block_is_dropped_as_snubbing()
    {
        var (data, torrent) = TestData.Create("wanted.bin", [("", 200_000)], 16 * 1024);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings { SnubTimeout = TimeSpan.FromSeconds(2) });
        await engine.StartAsync();
        var leech = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Folder("empty") });
        await leech.StartAsync();

        using var teaser = await ScriptedPeer.ConnectAsync(engine.ListenEndPoint, torrent.InfoHash, 1);
        await teaser.SendFullBitfieldAsync(torrent.PieceCount);
        await teaser.SendAsync(PeerMessageKind.Unchoke);

        await TransferTests.WaitForAsync(() => teaser.Requests > 0, TimeSpan.FromSeconds(30), () => teaser.ToString());
        await teaser.Closed.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(TorrentState.Downloading, leech.Status.State);
    }
}
