using System.Text;
using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

public sealed class HttpTrackerClientQueryTests
{
    private const string SpecHashEncoded = "%124Vx%9A%BC%DE%F1%23Eg%89%AB%CD%EF%124Vx%9A";

    [Fact]
    public void Announce_query_encodes_every_field_in_order()
    {
        var uri = HttpTrackerClient.BuildAnnounceUri(new Uri("http://tracker.example/announce"), TestBytes.Request(), 0x0badf00d, null);

        Assert.Equal(
            "http://tracker.example/announce?info_hash=" + SpecHashEncoded
            + "&peer_id=-TA0001-abcdefghijkl&port=6881&uploaded=10&downloaded=20&left=30&compact=1&event=started&numwant=50&key=0badf00d",
            uri);
    }

    [Fact]
    public void Announce_query_leaves_out_the_event_of_a_regular_announce_and_adds_the_tracker_id()
    {
        var uri = HttpTrackerClient.BuildAnnounceUri(new Uri("http://tracker.example:8080/a/announce"), TestBytes.Request(AnnounceEvent.None), 7, "id 1/2");

        Assert.Equal(
            "http://tracker.example:8080/a/announce?info_hash=" + SpecHashEncoded
            + "&peer_id=-TA0001-abcdefghijkl&port=6881&uploaded=10&downloaded=20&left=30&compact=1&numwant=50&key=00000007&trackerid=id%201%2F2",
            uri);
    }

    [Theory]
    [InlineData(AnnounceEvent.Completed, "&event=completed")]
    [InlineData(AnnounceEvent.Stopped, "&event=stopped")]
    public void Announce_query_names_the_event(AnnounceEvent announceEvent, string expected)
    {
        var uri = HttpTrackerClient.BuildAnnounceUri(new Uri("http://tracker.example/announce"), TestBytes.Request(announceEvent), 1, null);

        Assert.Contains(expected + "&numwant=", uri, StringComparison.Ordinal);
    }

    [Fact]
    public void Announce_query_is_appended_to_a_query_the_tracker_url_already_has()
    {
        var uri = HttpTrackerClient.BuildAnnounceUri(new Uri("https://tracker.example/announce.php?passkey=abc"), TestBytes.Request(), 1, null);

        Assert.StartsWith("https://tracker.example/announce.php?passkey=abc&info_hash=" + SpecHashEncoded + "&peer_id=", uri, StringComparison.Ordinal);
    }

    [Fact]
    public void Announce_query_percent_encodes_every_byte_outside_the_unreserved_set()
    {
        byte[] peerId = [0x00, 0x20, 0x2B, 0x25, 0x7E, 0x2E, 0x5F, 0x2D, 0xC3, 0xA9, 0xFF, 0x80, 0x41, 0x7A, 0x30, 0x39, 0x2F, 0x3F, 0x26, 0x3D];
        var request = TestBytes.Request(peerId: peerId);

        var uri = HttpTrackerClient.BuildAnnounceUri(new Uri("http://tracker.example/announce"), request, 1, null);

        Assert.Contains("&peer_id=%00%20%2B%25~._-%C3%A9%FF%80Az09%2F%3F%26%3D&port=", uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Announce_request_line_reaches_the_tracker_byte_for_byte()
    {
        byte[] peerId = [0xC3, 0xA9, 0x41, 0x25, 0x32, 0x30, 0x00, 0xFF, 0x2D, 0x54, 0x41, 0x30, 0x30, 0x30, 0x31, 0x2D, 0x61, 0x62, 0x63, 0x64];
        await using var server = new RawHttpServer((_, _) => RawHttpServer.Ok("d8:intervali60e5:peers0:e"));
        var client = new HttpTrackerClient(key: 0xCAFEBABE);

        await client.AnnounceAsync(server.Announce, TestBytes.Request(peerId: peerId), CancellationToken.None);

        var line = Assert.Single(server.RequestLines);
        Assert.Equal(
            "GET /announce?info_hash=" + SpecHashEncoded
            + "&peer_id=%C3%A9A%2520%00%FF-TA0001-abcd&port=6881&uploaded=10&downloaded=20&left=30&compact=1&event=started&numwant=50&key=cafebabe HTTP/1.1",
            line);
        Assert.Contains("\r\nConnection: close\r\n", server.Heads[0], StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Tracker_id_from_a_reply_is_sent_back_on_the_next_announce()
    {
        await using var server = new RawHttpServer((_, _) => RawHttpServer.Ok("d8:intervali60e5:peers0:10:tracker id5:xyz42e"));
        var client = new HttpTrackerClient(key: 1);

        var first = await client.AnnounceAsync(server.Announce, TestBytes.Request(), CancellationToken.None);
        await client.AnnounceAsync(server.Announce, TestBytes.Request(AnnounceEvent.None), CancellationToken.None);

        Assert.Equal("xyz42", first.TrackerId);
        Assert.DoesNotContain("trackerid", server.RequestLines[0], StringComparison.Ordinal);
        Assert.EndsWith("&key=00000001&trackerid=xyz42 HTTP/1.1", server.RequestLines[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://t.example/announce", "http://t.example/scrape")]
    [InlineData("http://t.example/x/announce", "http://t.example/x/scrape")]
    [InlineData("http://t.example/x/announce.php", "http://t.example/x/scrape.php")]
    [InlineData("http://t.example/announce?passkey=abc", "http://t.example/scrape?passkey=abc")]
    [InlineData("https://t.example:8443/announce", "https://t.example:8443/scrape")]
    [InlineData("udp://t.example:6969/announce", "udp://t.example:6969/scrape")]
    public void Scrape_url_replaces_announce_in_the_last_path_segment(string announce, string expected)
    {
        Assert.True(HttpTrackerClient.TryGetScrapeUri(new Uri(announce), out var scrape));
        Assert.Equal(expected, scrape.AbsoluteUri);
    }

    [Theory]
    [InlineData("http://t.example/a")]
    [InlineData("http://t.example/announce/")]
    [InlineData("http://t.example/xannounce")]
    [InlineData("http://t.example/announce/x")]
    [InlineData("http://t.example/")]
    public void Scrape_url_does_not_exist_when_the_last_segment_is_not_announce(string announce)
    {
        Assert.False(HttpTrackerClient.TryGetScrapeUri(new Uri(announce), out _));
    }

    [Fact]
    public async Task Scrape_of_a_tracker_without_a_scrape_url_is_a_tracker_exception()
    {
        var client = new HttpTrackerClient();

        var error = await Assert.ThrowsAsync<TrackerException>(() =>
            client.ScrapeAsync(new Uri("http://127.0.0.1:1/tracker"), [TestBytes.SpecHash], CancellationToken.None));

        Assert.Contains("does not support scrape", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_sends_one_info_hash_parameter_per_torrent_and_reads_files()
    {
        var other = TorrentActors.Engine.Metainfo.InfoHash.FromHex("0000000000000000000000000000000000000001");
        var body = TestBytes.Of(
            "d5:filesd",
            "20:", other.ToArray(), "d8:completei1e10:downloadedi2e10:incompletei3ee",
            "20:", TestBytes.SpecHash.ToArray(), "d8:completei5e10:downloadedi50e10:incompletei10ee",
            "ee");
        await using var server = new RawHttpServer((_, _) => RawHttpServer.Ok(body));
        var client = new HttpTrackerClient();

        var files = await client.ScrapeAsync(server.Announce, [TestBytes.SpecHash, other], CancellationToken.None);

        Assert.Equal(
            "GET /scrape?info_hash=" + SpecHashEncoded + "&info_hash=%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%00%01 HTTP/1.1",
            Assert.Single(server.RequestLines));
        Assert.Equal(new ScrapeEntry(5, 50, 10), files[TestBytes.SpecHash]);
        Assert.Equal(new ScrapeEntry(1, 2, 3), files[other]);
    }

    [Fact]
    public void Scrape_reply_without_files_is_a_tracker_exception()
    {
        var error = Assert.Throws<TrackerException>(() => HttpTrackerClient.ParseScrapeResponse(Encoding.ASCII.GetBytes("d5:filesi1ee")));

        Assert.Contains("'files'", error.Message, StringComparison.Ordinal);
    }
}
