using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using TorrentActors.Engine.Bencoding;
using Xunit;

namespace TorrentActors.Tracker.Tests;

/// <summary>
/// libtorrent announcing to <c>http://[::1]:PORT/announce</c> writes <c>Host: ::1:PORT</c>, without the brackets RFC 7230
/// asks for; Kestrel refuses that with 400 before any handler runs. The tracker accepts it, bracketed or not, and still
/// refuses a Host that is no address at all.
/// </summary>
public sealed class HostHeaderTests : IAsyncLifetime
{
    private TrackerServer _tracker = null!;

    public async Task InitializeAsync() =>
        _tracker = await TrackerServer.StartAsync(new TrackerOptions { Host = "::1", HttpPort = 0, UdpPort = null, RequestsPerSecondPerAddress = 0 });

    public async Task DisposeAsync() => await _tracker.DisposeAsync();

    private int Port => _tracker.HttpEndPoint.Port;

    [Fact]
    public void The_tracker_asked_for_the_IPv6_loopback_binds_it_and_announces_with_a_bracketed_url()
    {
        Assert.Equal(IPAddress.IPv6Loopback, _tracker.HttpEndPoint.Address);
        Assert.Equal($"http://[::1]:{Port}/announce", _tracker.AnnounceUri.ToString());
    }

    [Fact]
    public async Task An_announce_whose_host_is_an_IPv6_address_without_brackets_gets_200_and_a_bencoded_reply()
    {
        var reply = await RawHttp.GetAsync(_tracker.HttpEndPoint, Ids.AnnounceQuery(Ids.Hash(1), Ids.Peer(1), 6001), $"::1:{Port}");

        Assert.Equal(200, reply.Status);
        Assert.Null(reply.Failure);
        Assert.Equal(300, reply.Bencoded.GetInteger("interval"));
    }

    [Theory]
    [InlineData("[::1]:{0}")]
    [InlineData("[::1]")]
    [InlineData("::1")]
    [InlineData("0:0:0:0:0:0:0:1:{0}")]
    [InlineData("127.0.0.1:{0}")]
    [InlineData("tracker.example:{0}")]
    public async Task Hosts_that_name_an_address_are_answered(string host)
    {
        var reply = await RawHttp.GetAsync(_tracker.HttpEndPoint, Ids.AnnounceQuery(Ids.Hash(2), Ids.Peer(2), 6002),
            string.Format(CultureInfo.InvariantCulture, host, Port));

        Assert.Equal(200, reply.Status);
        Assert.Null(reply.Failure);
    }

    [Theory]
    [InlineData("::1:{0}:x")]
    [InlineData("::zz:{0}")]
    [InlineData("[::1:{0}")]
    [InlineData("a b")]
    [InlineData("::1:{0} ::1")]
    public async Task A_host_that_is_no_address_is_still_refused_with_400(string host)
    {
        var reply = await RawHttp.GetAsync(_tracker.HttpEndPoint, Ids.AnnounceQuery(Ids.Hash(3), Ids.Peer(3), 6003),
            string.Format(CultureInfo.InvariantCulture, host, Port));

        Assert.Equal(400, reply.Status);
    }

    [Fact]
    public async Task Every_request_of_a_kept_alive_connection_is_answered_even_when_it_arrives_a_byte_at_a_time()
    {
        using var client = new TcpClient(AddressFamily.InterNetworkV6);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client.ConnectAsync(_tracker.HttpEndPoint, cts.Token);
        var stream = client.GetStream();
        var requests = new StringBuilder();
        for (var i = 0; i < 3; i++)
        {
            requests.Append(CultureInfo.InvariantCulture,
                $"GET {Ids.AnnounceQuery(Ids.Hash(4), Ids.Peer(10 + i), 7000 + i)} HTTP/1.1\r\nUser-Agent: test\r\nhost:  ::1:{Port} \r\n\r\n");
        }

        foreach (var b in Encoding.ASCII.GetBytes(requests.ToString()))
        {
            await stream.WriteAsync(new[] { b }, cts.Token);
        }

        var replies = await ReadResponsesAsync(stream, 3, cts.Token);

        Assert.All(replies, r => Assert.Equal(200, r.Status));
        Assert.Equal([0, 1, 2], replies.Select(r => (int)BencodeReader.DecodeDictionary(r.Body).GetInteger("incomplete")! - 1));
    }

    /// <summary>Reads <paramref name="count"/> responses framed by their Content-Length off one connection.</summary>
    private static async Task<List<(int Status, byte[] Body)>> ReadResponsesAsync(NetworkStream stream, int count, CancellationToken cancellationToken)
    {
        var replies = new List<(int, byte[])>();
        var buffer = new List<byte>();
        var chunk = new byte[4096];
        while (replies.Count < count)
        {
            var text = Encoding.ASCII.GetString(buffer.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var head = text[..end].Split("\r\n");
                var length = head.Skip(1).Select(l => l.Split(':', 2)).Where(p => p[0].Equals("content-length", StringComparison.OrdinalIgnoreCase))
                    .Select(p => int.Parse(p[1], CultureInfo.InvariantCulture)).Single();
                if (buffer.Count >= end + 4 + length)
                {
                    replies.Add((int.Parse(head[0].Split(' ')[1], CultureInfo.InvariantCulture), buffer.GetRange(end + 4, length).ToArray()));
                    buffer.RemoveRange(0, end + 4 + length);
                    continue;
                }
            }

            var read = await stream.ReadAsync(chunk, cancellationToken);
            Assert.True(read > 0, $"the connection closed after {replies.Count} of {count} responses");
            buffer.AddRange(chunk.AsSpan(0, read).ToArray());
        }

        return replies;
    }
}
