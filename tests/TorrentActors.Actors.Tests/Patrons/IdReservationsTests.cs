using TorrentActors.Actors.Patrons;
using TorrentActors.Contracts;
using Xunit;

namespace TorrentActors.Actors.Tests.Patrons;

public class IdReservationsTests
{
    private static readonly DateTime Now = new(2026, 12, 2, 2, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_torrent_added_first_is_numbered_after_the_commands_that_arrived_before_it_and_still_work()
    {
        var ids = new IdReservations();
        RequestId big = RequestId.New(), small = RequestId.New();
        ids.Reserve(big, Now);
        ids.Reserve(small, Now);

        Assert.Equal(5, ids.Claim(small, registryNext: 4));
        Assert.Equal(4, ids.Claim(big, registryNext: 6));
        Assert.Equal(6, ids.Peek(registryNext: 6));
        Assert.Equal(6, ids.Take(registryNext: 6));
        Assert.Null(ids.Claim(big, registryNext: 7));
    }

    [Fact]
    public void A_command_that_fails_before_a_later_one_is_numbered_leaves_no_gap()
    {
        var ids = new IdReservations();
        RequestId failed = RequestId.New(), good = RequestId.New();
        ids.Reserve(failed, Now);
        ids.Reserve(good, Now);
        ids.Release(failed);

        Assert.Equal(1, ids.Claim(good, registryNext: 1));
    }

    [Fact]
    public void A_command_that_fails_after_a_later_one_was_numbered_leaves_a_gap_that_is_never_given()
    {
        var ids = new IdReservations();
        RequestId slow = RequestId.New(), fast = RequestId.New();
        ids.Reserve(slow, Now);
        ids.Reserve(fast, Now);
        Assert.Equal(2, ids.Claim(fast, registryNext: 1));
        ids.Release(slow);

        Assert.Equal(3, ids.Take(registryNext: 3));
    }

    [Fact]
    public void A_given_up_number_at_the_top_is_given_again_and_the_registrys_next_ID_is_a_floor()
    {
        var ids = new IdReservations();
        var refused = RequestId.New();
        ids.Reserve(refused, Now);
        ids.GiveUp(ids.Claim(refused, registryNext: 1));

        Assert.Equal(1, ids.Peek(registryNext: 1));
        Assert.Equal(1, ids.Take(registryNext: 1));
        Assert.Equal(10, ids.Take(registryNext: 10));
    }

    [Fact]
    public void A_torrent_that_held_no_place_is_numbered_after_every_command_still_working()
    {
        var ids = new IdReservations();
        var working = RequestId.New();
        ids.Reserve(working, Now);

        Assert.Equal(2, ids.Peek(registryNext: 1));
        Assert.Equal(2, ids.Take(registryNext: 1));
        Assert.Equal(1, ids.Claim(working, registryNext: 3));
    }

    [Fact]
    public void A_request_holds_one_place_stdins_empty_request_none_and_old_places_expire()
    {
        var ids = new IdReservations();
        var request = RequestId.New();
        ids.Reserve(request, Now);
        ids.Reserve(request, Now);
        ids.Reserve(RequestId.None, Now);
        Assert.Equal(1, ids.Held);

        ids.Reserve(RequestId.New(), Now + IdReservations.HoldFor + TimeSpan.FromSeconds(1));
        Assert.Null(ids.Claim(request, registryNext: 1));
        Assert.Equal(1, ids.Held);
    }
}
