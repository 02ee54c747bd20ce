using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

/// <summary>Mutated and truncated replies: each is read or refused with a <see cref="TrackerException"/>, nothing else.</summary>
public sealed class TrackerReplyRobustnessTests
{
    private static readonly byte[] ValidAnnounce = TestBytes.Of(
        "d8:completei5e10:incompletei3e8:intervali1800e12:min intervali900e5:peers12:",
        new byte[] { 10, 0, 0, 1, 0x1A, 0xE1, 127, 0, 0, 1, 0xC8, 0xD5 },
        "6:peers618:", new byte[18],
        "5:peersld2:ip3:::14:porti1eee10:tracker id2:id15:warning message1:we");

    private static readonly byte[] ValidScrape = TestBytes.Of(
        "d5:filesd20:", TestBytes.SpecHash.ToArray(), "d8:completei5e10:downloadedi50e10:incompletei10eeee");

    [Fact]
    public void Every_prefix_of_an_announce_reply_is_read_or_refused_cleanly()
    {
        for (var length = 0; length < ValidAnnounce.Length; length++)
        {
            ReadOrRefuse(() => HttpTrackerClient.ParseAnnounceResponse(ValidAnnounce.AsMemory(0, length)));
        }
    }

    [Fact]
    public void Mutated_http_replies_are_read_or_refused_cleanly()
    {
        var random = new Random(1234);
        for (var round = 0; round < 5000; round++)
        {
            var announce = Mutate(ValidAnnounce, random);
            var scrape = Mutate(ValidScrape, random);
            ReadOrRefuse(() => HttpTrackerClient.ParseAnnounceResponse(announce));
            ReadOrRefuse(() => HttpTrackerClient.ParseScrapeResponse(scrape));
        }
    }

    [Fact]
    public void Udp_replies_of_any_length_are_read_or_refused_cleanly()
    {
        var random = new Random(99);
        var result = new Dictionary<TorrentActors.Engine.Metainfo.InfoHash, ScrapeEntry>();
        for (var length = 8; length < 200; length++)
        {
            var reply = new byte[length];
            random.NextBytes(reply);
            ReadOrRefuse(() => UdpTrackerClient.ParseAnnounceReply(reply, ipv6: length % 2 == 0));
            UdpTrackerClient.ParseScrapeReply(reply, [TestBytes.SpecHash], result);
        }
    }

    private static byte[] Mutate(byte[] valid, Random random)
    {
        var bytes = (byte[])valid.Clone();
        var edits = random.Next(1, 4);
        for (var i = 0; i < edits; i++)
        {
            bytes[random.Next(bytes.Length)] = random.Next(3) switch
            {
                0 => (byte)random.Next(256),
                1 => (byte)"0123456789:ie"[random.Next(13)],
                _ => (byte)"dl-e"[random.Next(4)],
            };
        }

        return random.Next(4) == 0 ? bytes[..random.Next(bytes.Length)] : bytes;
    }

    private static void ReadOrRefuse(Action read)
    {
        try
        {
            read();
        }
        catch (TrackerException)
        {
            // refused with a clear reason: fine
        }
    }
}
