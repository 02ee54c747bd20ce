using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

public sealed class HttpTrackerReplyTests
{
    private static AnnounceResponse Parse(params object[] parts) => HttpTrackerClient.ParseAnnounceResponse(TestBytes.Of(parts));

    [Fact]
    public void Compact_peers_are_six_bytes_each()
    {
        var reply = Parse("d8:intervali1800e5:peers12:", new byte[] { 10, 0, 0, 1, 0x1A, 0xE1, 127, 0, 0, 1, 0xC8, 0xD5 }, "e");

        Assert.Equal([IPEndPoint.Parse("10.0.0.1:6881"), IPEndPoint.Parse("127.0.0.1:51413")], reply.Peers);
        Assert.Equal(TimeSpan.FromMinutes(30), reply.Interval);
    }

    [Fact]
    public void Compact_peers_ignore_a_trailing_partial_entry_and_port_zero()
    {
        var reply = Parse("d5:peers15:", new byte[] { 1, 2, 3, 4, 0, 80, 5, 6, 7, 8, 0, 0, 9, 9, 9 }, "e");

        Assert.Equal([IPEndPoint.Parse("1.2.3.4:80")], reply.Peers);
    }

    [Fact]
    public void Non_compact_peers_are_a_list_of_dictionaries()
    {
        var reply = Parse(
            "d8:intervali900e5:peersl",
            "d2:ip8:10.0.0.27:peer id20:-TA0001-abcdefghijkl4:porti6881ee",
            "d2:ip3:::14:porti6882ee",
            "d2:ip11:example.com4:porti80ee",
            "d2:ip7:1.2.3.44:porti0ee",
            "d4:porti80ee",
            "i5e",
            "ee");

        Assert.Equal([IPEndPoint.Parse("10.0.0.2:6881"), IPEndPoint.Parse("[::1]:6882")], reply.Peers);
    }

    [Fact]
    public void Peers6_are_eighteen_bytes_each_and_join_the_ipv4_peers()
    {
        var v6 = IPAddress.Parse("2001:db8::1").GetAddressBytes();
        var reply = Parse("d5:peers6:", new byte[] { 1, 2, 3, 4, 0, 80 }, "6:peers618:", v6, new byte[] { 0x1A, 0xE1 }, "e");

        Assert.Equal([IPEndPoint.Parse("1.2.3.4:80"), IPEndPoint.Parse("[2001:db8::1]:6881")], reply.Peers);
    }

    [Fact]
    public void Duplicate_peers_are_reported_once()
    {
        var reply = Parse("d5:peers12:", new byte[] { 1, 2, 3, 4, 0, 80, 1, 2, 3, 4, 0, 80 }, "e");

        Assert.Single(reply.Peers);
    }

    [Fact]
    public void Failure_reason_becomes_a_tracker_exception_with_its_text()
    {
        var error = Assert.Throws<TrackerException>(() => Parse("d14:failure reason22:torrent not registerede"));

        Assert.Equal("Tracker refused: torrent not registered", error.Message);
        Assert.True(error.IsTrackerFailure);
    }

    [Fact]
    public void Warning_counts_and_tracker_id_are_read()
    {
        var reply = Parse("d8:completei7e10:incompletei3e8:intervali120e5:peers0:10:tracker id3:abc15:warning message8:be nice!e");

        Assert.Equal("be nice!", reply.WarningMessage);
        Assert.Equal(7, reply.Complete);
        Assert.Equal(3, reply.Incomplete);
        Assert.Equal("abc", reply.TrackerId);
        Assert.Empty(reply.Peers);
    }

    [Fact]
    public void Unsorted_keys_are_accepted()
    {
        var reply = Parse("d8:intervali120e5:peers0:8:completei1ee");

        Assert.Equal(1, reply.Complete);
    }

    [Theory]
    [InlineData("d5:peers0:e", 1800, null)]
    [InlineData("d8:intervali5e5:peers0:e", 30, null)]
    [InlineData("d8:intervali-5e5:peers0:e", 1800, null)]
    [InlineData("d8:intervali999999e5:peers0:e", 3600, null)]
    [InlineData("d8:intervali600e12:min intervali300e5:peers0:e", 600, 300)]
    [InlineData("d8:intervali60e12:min intervali300e5:peers0:e", 300, 300)]
    [InlineData("d8:intervali600e12:min intervali1e5:peers0:e", 600, 30)]
    public void Intervals_are_clamped_to_sane_ranges(string reply, int interval, int? minInterval)
    {
        var parsed = Parse(reply);

        Assert.Equal(TimeSpan.FromSeconds(interval), parsed.Interval);
        Assert.Equal(minInterval is null ? null : TimeSpan.FromSeconds(minInterval.Value), parsed.MinInterval);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html>Not Found</html>")]
    [InlineData("d8:intervali1800e5:peers12:abc")]
    [InlineData("d8:interval")]
    [InlineData("li1ee")]
    [InlineData("i42e")]
    public void Garbage_and_truncated_replies_are_tracker_exceptions(string reply)
    {
        var error = Assert.Throws<TrackerException>(() => Parse(reply));

        Assert.False(error.IsTrackerFailure);
        Assert.Contains("reply", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reply_over_the_size_limit_is_refused()
    {
        var body = TestBytes.Of("d5:peers2000:", new byte[2000], "e");
        await using var server = new RawHttpServer((_, _) => RawHttpServer.Ok(body));
        var client = new HttpTrackerClient { MaxResponseBytes = 1000 };

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None));

        Assert.Contains("over the limit of 1000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reply_over_the_size_limit_without_a_length_is_refused_while_reading()
    {
        var head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        var body = TestBytes.Of("d5:peers5000:", new byte[5000], "e");
        await using var server = new RawHttpServer((_, _) => [.. head, .. body]);
        var client = new HttpTrackerClient { MaxResponseBytes = 1000 };

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None));

        Assert.Contains("over the limit of 1000 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tracker_that_is_down_is_a_tracker_exception()
    {
        var client = new HttpTrackerClient();

        var error = await Assert.ThrowsAsync<TrackerException>(() =>
            client.AnnounceAsync(new Uri($"http://127.0.0.1:{FreePort.Tcp()}/announce"), TestBytes.Request(), CancellationToken.None));

        Assert.StartsWith("Could not reach tracker", error.Message, StringComparison.Ordinal);
        Assert.Contains("Connection refused", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_reset_before_the_reply_is_tried_once_more()
    {
        await using var server = new RawHttpServer((_, index) => index == 0 ? [] : RawHttpServer.Ok("d8:intervali60e5:peers0:e"));
        var client = new HttpTrackerClient();

        var reply = await client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None);

        Assert.Equal(TimeSpan.FromSeconds(60), reply.Interval);
        Assert.Equal(2, server.RequestLines.Count);
    }

    [Fact]
    public async Task A_tracker_that_keeps_resetting_is_a_tracker_exception_after_two_tries()
    {
        await using var server = new RawHttpServer((_, _) => []);
        var client = new HttpTrackerClient();

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None));

        Assert.StartsWith("Could not reach tracker", error.Message, StringComparison.Ordinal);
        Assert.Matches("(?i)reset|ended prematurely", error.Message);
        Assert.InRange(server.RequestLines.Count, 2, 16); // our two tries, each of which the HTTP handler may itself retry
    }

    [Fact]
    public async Task A_tracker_that_hangs_is_a_tracker_exception_after_the_timeout()
    {
        await using var server = new RawHttpServer((_, _) => null);
        var client = new HttpTrackerClient { Timeout = TimeSpan.FromMilliseconds(300) };

        var error = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None));

        Assert.Contains("did not answer within 0.3 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_reported_as_a_timeout()
    {
        await using var server = new RawHttpServer((_, _) => null);
        var client = new HttpTrackerClient();
        using var cancellation = new CancellationTokenSource();

        var announce = client.AnnounceAsync(server.Announce, TestBytes.Request(), cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => announce);
    }

    [Fact]
    public async Task An_http_error_status_is_a_tracker_exception_unless_it_carries_a_failure_reason()
    {
        await using var server = new RawHttpServer((_, index) => index == 0
            ? Encoding.ASCII.GetBytes("HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy")
            : Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad\r\nContent-Length: 29\r\nConnection: close\r\n\r\nd14:failure reason8:no thanke"));
        var client = new HttpTrackerClient();

        var busy = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None));
        var refused = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None));

        Assert.Contains("HTTP 503 Busy", busy.Message, StringComparison.Ordinal);
        Assert.Equal("Tracker refused: no thank", refused.Message);
    }

    [Fact]
    public async Task Tracker_client_dispatches_on_the_scheme()
    {
        await using var server = new RawHttpServer((_, _) => RawHttpServer.Ok(TestBytes.Of("d8:intervali60e5:peers6:", new byte[] { 127, 0, 0, 1, 0x1A, 0xE1 }, "e")));
        var client = new TrackerClient();

        var reply = await client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None);
        var unsupported = await Assert.ThrowsAsync<TrackerException>(() => client.AnnounceAsync(new Uri("wss://t.example/announce"), TestBytes.Request(), CancellationToken.None));

        Assert.Equal([IPEndPoint.Parse("127.0.0.1:6881")], reply.Peers);
        Assert.Contains("unsupported scheme 'wss'", unsupported.Message, StringComparison.Ordinal);
    }
}
