using TorrentActors.Actors.Patrons;
using TorrentActors.Contracts;
using Xunit;

namespace TorrentActors.Actors.Tests.Patrons;

public class IdReservationsTests
{
    private static readonly DateTime Now = new(2026, 12, 2, 2, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Reserved_IDs_follow_the_order_of_reservation_whichever_claims_first_and_a_later_take_continues_after_them()
    {
        var ids = new IdReservations();
        RequestId first = RequestId.New(), second = RequestId.New();
        ids.Reserve(first, registryNext: 4, Now);
        ids.Reserve(second, registryNext: 4, Now);

        Assert.Equal(5, ids.Claim(second));
        Assert.Equal(4, ids.Claim(first));
        Assert.Equal(6, ids.Take(registryNext: 4));
        Assert.Null(ids.Claim(first));
    }

    [Fact]
    public void A_released_ID_below_one_taken_later_is_never_given_and_the_registrys_next_ID_is_a_floor()
    {
        var ids = new IdReservations();
        RequestId failed = RequestId.New(), later = RequestId.New();
        ids.Reserve(failed, registryNext: 1, Now);
        ids.Reserve(later, registryNext: 1, Now);
        ids.Release(failed);

        Assert.Null(ids.Claim(failed));
        Assert.Equal(2, ids.Claim(later));
        Assert.Equal(3, ids.Take(registryNext: 1));
        Assert.Equal(10, ids.Take(registryNext: 10));
    }

    [Fact]
    public void Released_IDs_at_the_top_are_given_again_so_commands_sent_one_at_a_time_stay_numbered_without_gaps()
    {
        var ids = new IdReservations();
        RequestId first = RequestId.New(), second = RequestId.New(), third = RequestId.New();
        ids.Reserve(first, registryNext: 1, Now);
        ids.Reserve(second, registryNext: 1, Now);
        ids.Reserve(third, registryNext: 1, Now);
        ids.Release(first);
        ids.Release(third);
        Assert.Equal(3, ids.Peek(registryNext: 1)); // second (2) still held: only 3 steps back
        ids.Release(second);

        Assert.Equal(1, ids.Peek(registryNext: 1));
        Assert.Equal(1, ids.Take(registryNext: 1));
    }

    [Fact]
    public void A_request_is_reserved_once_stdins_empty_request_never_and_old_reservations_expire()
    {
        var ids = new IdReservations();
        var request = RequestId.New();
        ids.Reserve(request, 1, Now);
        ids.Reserve(request, 1, Now);
        ids.Reserve(RequestId.None, 1, Now);
        Assert.Equal(1, ids.Held);

        ids.Reserve(RequestId.New(), 1, Now + IdReservations.HoldFor + TimeSpan.FromSeconds(1));
        Assert.Null(ids.Claim(request));
        Assert.Equal(1, ids.Held);
    }
}
