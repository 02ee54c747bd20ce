using TorrentActors.Engine.Picking;
using Xunit;

namespace TorrentActors.Engine.Tests.Picking;

public sealed class UploadSlotsTests
{
    [Fact]
    public void Only_interested_peers_we_do_not_choke_use_a_slot()
    {
        SlotCandidate[] peers =
        [
            new(1, Choked: false, Interested: true, Uploaded: 0),
            new(2, Choked: false, Interested: false, Uploaded: 0),
            new(3, Choked: true, Interested: true, Uploaded: 0),
            new(4, Choked: true, Interested: false, Uploaded: 0),
        ];

        Assert.Equal(1, UploadSlots.Used(peers));
    }

    [Theory]
    [InlineData(0, 4, true)]
    [InlineData(4, 4, true)] // the optimistic slot comes on top of the regular ones
    [InlineData(5, 4, false)]
    [InlineData(1, 0, false)]
    [InlineData(0, 0, true)]
    public void There_is_room_for_one_more_while_fewer_than_the_slots_plus_the_optimistic_one_are_used(int used, int slots, bool room) =>
        Assert.Equal(room, UploadSlots.HasRoom(used, slots));

    [Fact]
    public void Free_slots_go_to_waiting_interested_peers_least_served_first()
    {
        SlotCandidate[] peers =
        [
            new(1, Choked: false, Interested: true, Uploaded: 900),
            new(2, Choked: true, Interested: true, Uploaded: 500),
            new(3, Choked: true, Interested: true, Uploaded: 100),
            new(4, Choked: true, Interested: false, Uploaded: 0),
            new(5, Choked: true, Interested: true, Uploaded: 300),
        ];

        // Two slots plus the optimistic one: three, one used, so two are free.
        Assert.Equal([3, 5], UploadSlots.FillFree(peers, slots: 2));
    }

    [Fact]
    public void Nothing_is_unchoked_when_the_slots_are_full()
    {
        SlotCandidate[] peers =
        [
            new(1, Choked: false, Interested: true, Uploaded: 0),
            new(2, Choked: false, Interested: true, Uploaded: 0),
            new(3, Choked: true, Interested: true, Uploaded: 0),
        ];

        Assert.Empty(UploadSlots.FillFree(peers, slots: 1));
    }

    [Fact]
    public void Peers_served_equally_are_unchoked_in_the_order_of_their_ids()
    {
        SlotCandidate[] peers = [new(7, true, true, 10), new(3, true, true, 10), new(5, true, true, 10)];

        Assert.Equal([3, 5], UploadSlots.FillFree(peers, slots: 1));
    }
}
