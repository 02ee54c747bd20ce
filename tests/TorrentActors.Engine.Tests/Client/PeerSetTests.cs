using System.Net;
using TorrentActors.Engine.Client;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

public sealed class PeerSetTests
{
    private static readonly TimeSpan Redial = TimeSpan.FromSeconds(15);
    private static readonly IPEndPoint A = IPEndPoint.Parse("127.0.0.1:6001");
    private static readonly IPEndPoint B = IPEndPoint.Parse("127.0.0.1:6002");
    private static readonly IPEndPoint C = IPEndPoint.Parse("127.0.0.1:6003");

    [Fact]
    public void A_peer_being_dialled_is_not_chosen_again_and_waits_for_the_redial_interval_after()
    {
        var set = new PeerSet();
        set.Remember(A, dialNow: false);

        Assert.Equal([A], set.TakeToDial(1000, room: 5, Redial, _ => false));
        Assert.Equal(1, set.ConnectingCount);
        Assert.Empty(set.TakeToDial(1000, room: 5, Redial, _ => false));

        set.DialEnded(A);
        Assert.Equal(0, set.ConnectingCount);
        Assert.Empty(set.TakeToDial(1000 + 14_999, room: 5, Redial, _ => false));
        Assert.Equal([A], set.TakeToDial(1000 + 15_000, room: 5, Redial, _ => false));
    }

    [Fact]
    public void Dialling_stops_at_the_room_left_and_skips_what_the_caller_refuses()
    {
        var set = new PeerSet();
        set.Remember(A, dialNow: false);
        set.Remember(B, dialNow: false);
        set.Remember(C, dialNow: false);

        var first = set.TakeToDial(0, room: 1, Redial, endPoint => endPoint.Equals(A));
        Assert.Equal([B], first);
        Assert.Equal([C], set.TakeToDial(0, room: 5, Redial, endPoint => endPoint.Equals(A)));
        Assert.Empty(set.TakeToDial(0, room: 0, Redial, _ => false));
    }

    [Fact]
    public void A_peer_named_again_explicitly_is_dialled_at_once_but_one_from_a_tracker_keeps_its_wait()
    {
        var set = new PeerSet();
        set.Remember(A, dialNow: false);
        set.TakeToDial(0, room: 5, Redial, _ => false);
        set.DialEnded(A);

        set.Remember(A, dialNow: false);
        Assert.Empty(set.TakeToDial(1, room: 5, Redial, _ => false));
        set.Remember(A, dialNow: true);
        Assert.Equal([A], set.TakeToDial(1, room: 5, Redial, _ => false));
        set.DialEnded(A);

        set.ClearRedialWaits();
        Assert.Equal([A], set.TakeToDial(2, room: 5, Redial, _ => false));
    }

    [Fact]
    public void A_peer_is_banned_at_the_third_strike_with_where_it_comes_from()
    {
        var set = new PeerSet();
        var dialled = new byte[20];
        dialled[0] = 1;
        var incoming = new byte[20];
        incoming[0] = 2;

        Assert.Equal(1, set.Strike(dialled, A, banAfter: 3));
        Assert.Equal(2, set.Strike(dialled, A, banAfter: 3));
        Assert.False(set.IsBanned(dialled));
        Assert.Equal(3, set.Strike(dialled, A, banAfter: 3));
        Assert.True(set.IsBanned(dialled));
        Assert.True(set.IsBanned(new byte[20], A));

        for (var i = 0; i < 3; i++)
        {
            set.Strike(incoming, B, banAfter: 3);
        }

        Assert.True(set.IsBanned(incoming));
        Assert.Equal(2, set.BannedCount);

        set.Remember(A, dialNow: true);
        set.Remember(B, dialNow: true);
        set.Remember(C, dialNow: true);
        Assert.Equal([C], set.TakeToDial(0, room: 5, Redial, _ => false));
    }

    [Fact]
    public void A_ban_holds_for_the_whole_address_except_on_loopback_where_it_holds_for_the_address_and_port()
    {
        var set = new PeerSet();
        var remote = IPEndPoint.Parse("192.0.2.7:51000");
        for (var i = 0; i < 3; i++)
        {
            set.Strike(new byte[20], remote, banAfter: 3);
            set.Strike([1, .. new byte[19]], A, banAfter: 3);
        }

        Assert.True(set.IsBanned([9, .. new byte[19]], IPEndPoint.Parse("192.0.2.7:6881")));
        Assert.True(set.IsBanned([9, .. new byte[19]], IPEndPoint.Parse("[::ffff:192.0.2.7]:6882")));
        Assert.False(set.IsBanned([9, .. new byte[19]], IPEndPoint.Parse("192.0.2.8:51000")));
        Assert.True(set.IsBanned([9, .. new byte[19]], A));
        Assert.False(set.IsBanned([9, .. new byte[19]], B));
    }
}
