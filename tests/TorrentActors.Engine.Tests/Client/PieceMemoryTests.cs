using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>What a peer chooses to leave unfinished costs disk, not memory (the engine's piece memory cap).</summary>
public sealed class PieceMemoryTests
{
    private const int PieceLength = 256 * 1024;
    private const int Pieces = 12;
    private const int BlocksPerPiece = PieceLength / (16 * 1024);

    [Fact]
    public async Task Pieces_a_peer_leaves_one_block_short_stay_within_the_cap_and_complete_from_an_honest_peer()
    {
        var (data, torrent) = TestData.Create("withheld.bin", [("", Pieces * PieceLength)], PieceLength);
        using var _ = data;
        var bytes = File.ReadAllBytes(Path.Combine(data.Seed, "withheld.bin"));
        const long cap = 4L * PieceLength;
        await using var leecher = new ClientEngine(new EngineSettings { MaxBufferedPieceBytes = cap });
        await using var seeder = new ClientEngine(new EngineSettings());
        await leecher.StartAsync();
        await seeder.StartAsync();
        var leechFolder = data.Folder("leech");
        var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = leechFolder });
        await leech.StartAsync();

        // The attacker has everything, and sends every block asked for except the last of each piece.
        var withheld = 0;
        using (var attacker = await ScriptedPeer.ConnectAsync(leecher.ListenEndPoint, torrent.InfoHash, 1))
        {
            await attacker.SendFullBitfieldAsync(torrent.PieceCount);
            await attacker.SendAsync(PeerMessageKind.Unchoke);
            var answered = new HashSet<(int, int)>();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (answered.Count + withheld < Pieces * BlocksPerPiece && DateTime.UtcNow < deadline)
            {
                foreach (var (piece, begin, length) in attacker.Requested.ToList())
                {
                    if (begin == PieceLength - (16 * 1024))
                    {
                        withheld += answered.Add((piece, begin)) ? 1 : 0;
                        continue;
                    }

                    if (answered.Add((piece, begin)))
                    {
                        await attacker.SendBlockAsync(piece, begin, bytes.AsMemory((piece * PieceLength) + begin, length));
                    }
                }

                await Task.Delay(20);
            }

            Assert.Equal(Pieces, withheld);
            await TransferTests.WaitForAsync(
                () => leecher.PieceMemory.Used == cap,
                TimeSpan.FromSeconds(10),
                () => $"{leecher.PieceMemory.Used} bytes buffered");
            await Task.Delay(300);
            Assert.Equal(cap, leecher.PieceMemory.Used); // four pieces in memory, eight on disk
            Assert.Equal(0, leech.Status.BytesVerified);
        }

        // The honest seeder completes them all, the spilled ones read back from disk to be hashed.
        await seeder.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed }).StartAsync();
        leech.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(60), () => leech.Status.ToString());
        TransferTests.AssertSameFiles(torrent, data.Seed, leechFolder);
        Assert.Equal(0, leecher.PieceMemory.Used);
    }
}
