using TorrentActors.Engine.PeerWire;
using TorrentActors.Engine.Picking;
using Xunit;

namespace TorrentActors.Engine.Tests.Picking;

public sealed class PiecePickerTests
{
    private const int Block = PeerWireConstants.BlockSize;

    private static BitField All(int count)
    {
        var field = new BitField(count);
        field.SetAll();
        return field;
    }

    private static BitField Of(int count, params int[] pieces)
    {
        var field = new BitField(count);
        foreach (var p in pieces)
        {
            field[p] = true;
        }

        return field;
    }

    [Fact]
    public void Blocks_are_16_KiB_and_the_last_block_of_the_last_piece_is_short()
    {
        var picker = new PiecePicker(2, 2 * Block, (3 * Block) + 100, new Random(1));
        picker.SetHave(0);
        var output = new List<BlockRequest>();
        picker.Pick(1, All(2), 10, output);
        Assert.Equal([new BlockRequest(1, 0, Block), new BlockRequest(1, Block, 100)], output);
    }

    [Fact]
    public void Rarest_piece_is_picked_after_the_first_random_pieces()
    {
        var picker = new PiecePicker(10, Block, 10 * Block, new Random(1));
        for (var i = 0; i < PiecePicker.RandomFirstPieces; i++)
        {
            picker.SetHave(i);
        }

        picker.AddAvailability(All(10));
        picker.AddAvailability(All(10));
        picker.AddAvailability(Of(10, 4, 5, 6, 8, 9));
        // piece 7 is held by two peers only: the rarest we can get.
        var output = new List<BlockRequest>();
        picker.Pick(1, All(10), 1, output);
        Assert.Equal(7, output.Single().Piece);
    }

    [Fact]
    public void The_first_pieces_are_chosen_at_random()
    {
        var firsts = new HashSet<int>();
        for (var seed = 0; seed < 20; seed++)
        {
            var picker = new PiecePicker(50, Block, 50 * Block, new Random(seed));
            picker.AddAvailability(All(50));
            picker.AddAvailability(Of(50, 0));
            var output = new List<BlockRequest>();
            picker.Pick(1, All(50), 1, output);
            firsts.Add(output[0].Piece);
        }

        Assert.True(firsts.Count > 3);
    }

    [Fact]
    public void Partial_pieces_are_finished_before_new_ones_start()
    {
        var picker = new PiecePicker(4, 4 * Block, 16 * Block, new Random(1));
        var output = new List<BlockRequest>();
        picker.Pick(1, All(4), 2, output);
        var started = output[0].Piece;
        picker.ReleasePeer(1);
        output.Clear();
        picker.Pick(2, All(4), 4, output);
        Assert.All(output, r => Assert.Equal(started, r.Piece));
    }

    [Fact]
    public void Complete_piece_is_reported_and_failed_piece_is_fetched_again()
    {
        var picker = new PiecePicker(1, 2 * Block, 2 * Block, new Random(1));
        var output = new List<BlockRequest>();
        picker.Pick(1, All(1), 5, output);
        Assert.Equal(2, output.Count);
        Assert.Equal(BlockResult.NotRequested, picker.BlockReceived(2, 0, 0, Block));
        Assert.Equal(BlockResult.Accepted, picker.BlockReceived(1, 0, 0, Block));
        Assert.Equal(BlockResult.PieceComplete, picker.BlockReceived(1, 0, Block, Block));
        Assert.Equal([1], picker.Contributors(0));
        picker.PieceFailed(0);
        output.Clear();
        picker.Pick(2, All(1), 5, output);
        Assert.Equal(2, output.Count);
        Assert.Equal(BlockResult.Accepted, picker.BlockReceived(2, 0, 0, Block));
        Assert.Equal(BlockResult.PieceComplete, picker.BlockReceived(2, 0, Block, Block));
        picker.PieceVerified(0);
        Assert.True(picker.IsComplete);
    }

    [Fact]
    public void Endgame_asks_a_second_peer_and_cancels_the_loser()
    {
        var picker = new PiecePicker(1, 2 * Block, 2 * Block, new Random(1));
        var output = new List<BlockRequest>();
        picker.Pick(1, All(1), 5, output);
        output.Clear();
        picker.Pick(2, All(1), 5, output);
        Assert.Equal(2, output.Count);
        var cancels = new List<int>();
        Assert.Equal(BlockResult.Accepted, picker.BlockReceived(2, 0, 0, Block, cancels));
        Assert.Equal([1], cancels);
        Assert.Equal(1, picker.RequestCount(1));
        Assert.Equal(BlockResult.NotRequested, picker.BlockReceived(1, 0, 0, Block));
    }

    [Fact]
    public void A_failed_piece_shared_by_several_peers_is_retried_by_one_peer_only()
    {
        var picker = new PiecePicker(2, 2 * Block, 4 * Block, new Random(1));
        var output = new List<BlockRequest>();
        picker.Pick(1, Of(2, 0), 1, output);
        picker.Pick(2, Of(2, 0), 1, output);
        picker.BlockReceived(1, 0, 0, Block);
        Assert.Equal(BlockResult.PieceComplete, picker.BlockReceived(2, 0, Block, Block));
        picker.PieceFailed(0);
        output.Clear();
        picker.Pick(1, Of(2, 0), 1, output);
        Assert.Single(output);
        output.Clear();
        picker.Pick(2, Of(2, 0), 5, output);
        Assert.Empty(output);
    }

    [Fact]
    public void A_peer_with_nothing_new_is_not_interesting()
    {
        var picker = new PiecePicker(3, Block, 3 * Block, new Random(1));
        picker.SetHave(1);
        Assert.False(picker.IsInteresting(Of(3, 1)));
        Assert.True(picker.IsInteresting(Of(3, 1, 2)));
        var output = new List<BlockRequest>();
        Assert.Equal(0, picker.Pick(1, Of(3, 1), 5, output));
    }
}
