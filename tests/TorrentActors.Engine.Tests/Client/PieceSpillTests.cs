using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// Pieces in memory that nobody fills go to disk and give their memory back (issue 14): when the peer filling them
/// leaves, or when they had no block for <see cref="EngineSettings.PartialPieceIdleTimeout"/>; they complete later
/// from disk.
/// </summary>
public sealed class PieceSpillTests
{
    private const int PieceLength = 256 * 1024;
    private const int Pieces = 8;
    private const int Block = 16 * 1024;
    private const long Cap = 4L * PieceLength;

    [Fact]
    public async Task Pieces_in_memory_go_to_disk_when_their_peer_leaves_and_complete_from_an_honest_peer_without_a_block_fetched_twice()
    {
        var (data, torrent) = TestData.Create("left.bin", [("", Pieces * PieceLength)], PieceLength);
        using var _ = data;
        var bytes = File.ReadAllBytes(Path.Combine(data.Seed, "left.bin"));
        await using var leecher = new ClientEngine(new EngineSettings { MaxBufferedPieceBytes = Cap });
        await using var seeder = new ClientEngine(new EngineSettings());
        await leecher.StartAsync();
        await seeder.StartAsync();
        var leechFolder = data.Folder("leech");
        var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = leechFolder });
        await leech.StartAsync();

        using (var attacker = await ScriptedPeer.ConnectAsync(leecher.ListenEndPoint, torrent.InfoHash, 1))
        {
            await SendAllButLastBlocksAsync(attacker, bytes);
            await TransferTests.WaitForAsync(() => leecher.PieceMemory.Used == Cap, TimeSpan.FromSeconds(10), () => $"{leecher.PieceMemory.Used} bytes buffered");
        }

        // The attacker left: the four pieces in memory are written out and their memory given back, then dropped.
        await TransferTests.WaitForAsync(() => leecher.PieceMemory.Used == 0, TimeSpan.FromSeconds(5), () => $"{leecher.PieceMemory.Used} bytes still buffered");
        await TransferTests.WaitForAsync(
            () => leecher.PieceMemory.KeptBytes == 0,
            PieceMemory.IdleTrim * 3,
            () => $"{leecher.PieceMemory.KeptBytes} bytes kept");
        AssertOnDiskButLastBlocks(bytes, Path.Combine(leechFolder, "left.bin"));
        Assert.Equal(0, leech.Status.BytesVerified);

        // The honest seeder sends only the withheld blocks: every piece is completed and hashed from disk.
        await seeder.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed }).StartAsync();
        leech.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(60), () => leech.Status.ToString());
        TransferTests.AssertSameFiles(torrent, data.Seed, leechFolder);
        Assert.Equal(Pieces * PieceLength, leech.Downloaded); // no piece failed its hash and was fetched again
        Assert.Equal(0, leecher.PieceMemory.Used);
    }

    [Fact]
    public async Task Pieces_in_memory_that_get_no_block_for_the_idle_timeout_go_to_disk_while_their_peer_stays_and_complete_when_it_sends_the_rest()
    {
        var (data, torrent) = TestData.Create("idle.bin", [("", Pieces * PieceLength)], PieceLength, seed: 2);
        using var _ = data;
        var bytes = File.ReadAllBytes(Path.Combine(data.Seed, "idle.bin"));
        await using var leecher = new ClientEngine(new EngineSettings { MaxBufferedPieceBytes = Cap, PartialPieceIdleTimeout = TimeSpan.FromSeconds(1) });
        await leecher.StartAsync();
        var leechFolder = data.Folder("leech");
        var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = leechFolder });
        await leech.StartAsync();

        using var slow = await ScriptedPeer.ConnectAsync(leecher.ListenEndPoint, torrent.InfoHash, 1);
        await SendAllButLastBlocksAsync(slow, bytes);
        await TransferTests.WaitForAsync(() => leecher.PieceMemory.Used == 0, TimeSpan.FromSeconds(6), () => $"{leecher.PieceMemory.Used} bytes still buffered");
        Assert.False(slow.Closed.IsCompleted, "the slow peer was closed");
        AssertOnDiskButLastBlocks(bytes, Path.Combine(leechFolder, "idle.bin"));

        // Now it sends the last blocks it was asked for long ago.
        foreach (var (piece, begin, length) in slow.Requested.Where(r => r.Begin == PieceLength - Block).Distinct())
        {
            await slow.SendBlockAsync(piece, begin, bytes.AsMemory((piece * PieceLength) + begin, length));
        }

        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(30), () => leech.Status.ToString());
        TransferTests.AssertSameFiles(torrent, data.Seed, leechFolder);
        Assert.Equal(Pieces * PieceLength, leech.Downloaded);
        Assert.Equal(0, leecher.PieceMemory.Used);
    }

    [Fact]
    public void Piece_memory_lends_within_its_capacity_reuses_given_back_buffers_and_drops_them_once_idle()
    {
        using var memory = new PieceMemory(2L * PieceLength);
        var first = memory.TryRent(PieceLength);
        var second = memory.TryRent(PieceLength);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.Null(memory.TryRent(PieceLength)); // over the capacity
        Assert.Equal(2L * PieceLength, memory.Used);

        memory.Return(first, PieceLength);
        Assert.Equal(PieceLength, memory.Used);
        Assert.Equal(PieceLength, memory.KeptBytes);
        Assert.Same(first, memory.TryRent(PieceLength)); // the kept buffer serves the next piece
        memory.Return(first, PieceLength);
        memory.Return(second, PieceLength);
        Assert.Equal(0, memory.Used);
        Assert.Equal(2L * PieceLength, memory.KeptBytes);

        memory.TrimIfIdle(); // used a moment ago: kept
        Assert.Equal(2L * PieceLength, memory.KeptBytes);
        var deadline = DateTime.UtcNow + (PieceMemory.IdleTrim * 3);
        while (memory.KeptBytes > 0 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.Equal(0, memory.KeptBytes);
        Assert.Equal(0, memory.Collections); // 512 KiB dropped: not worth a full collection
        Assert.NotSame(first, memory.TryRent(PieceLength));
    }

    /// <summary>Answers every request with real data except the last block of each piece, until all the others are sent.</summary>
    private static async Task SendAllButLastBlocksAsync(ScriptedPeer peer, byte[] bytes)
    {
        await peer.SendFullBitfieldAsync(Pieces);
        await peer.SendAsync(PeerMessageKind.Unchoke);
        var sent = new HashSet<(int, int)>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (sent.Count < Pieces * ((PieceLength / Block) - 1) && DateTime.UtcNow < deadline)
        {
            foreach (var (piece, begin, length) in peer.Requested.ToList())
            {
                if (begin != PieceLength - Block && sent.Add((piece, begin)))
                {
                    await peer.SendBlockAsync(piece, begin, bytes.AsMemory((piece * PieceLength) + begin, length));
                }
            }

            await Task.Delay(20);
        }

        Assert.Equal(Pieces * ((PieceLength / Block) - 1), sent.Count);
    }

    /// <summary>Every block but the last of each piece is on disk at its offset (spilled, or written as it came).</summary>
    private static void AssertOnDiskButLastBlocks(byte[] expected, string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var actual = File.ReadAllBytes(path);
            var wrong = Enumerable.Range(0, Pieces).FirstOrDefault(
                p => actual.Length < (p + 1) * PieceLength - Block
                    || !actual.AsSpan(p * PieceLength, PieceLength - Block).SequenceEqual(expected.AsSpan(p * PieceLength, PieceLength - Block)),
                -1);
            if (wrong < 0)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"piece {wrong} is not on disk as it was sent");
            Thread.Sleep(50);
        }
    }
}
