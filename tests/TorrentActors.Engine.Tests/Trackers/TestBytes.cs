using System.Text;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Trackers;

namespace TorrentActors.Engine.Tests.Trackers;

internal static class TestBytes
{
    /// <summary>The infohash from BEP 3's example of percent-encoding.</summary>
    public static readonly InfoHash SpecHash = InfoHash.FromHex("123456789abcdef123456789abcdef123456789a");

    public static readonly byte[] PeerId = Encoding.ASCII.GetBytes("-TA0001-abcdefghijkl");

    /// <summary>Joins strings (as Latin-1) and byte arrays into one buffer.</summary>
    public static byte[] Of(params object[] parts)
    {
        var result = new List<byte>();
        foreach (var part in parts)
        {
            result.AddRange(part switch
            {
                string text => Encoding.Latin1.GetBytes(text),
                byte[] bytes => bytes,
                _ => throw new ArgumentException($"unsupported part {part.GetType()}"),
            });
        }

        return result.ToArray();
    }

    public static AnnounceRequest Request(AnnounceEvent announceEvent = AnnounceEvent.Started, InfoHash? hash = null, byte[]? peerId = null) =>
        new(hash ?? SpecHash, peerId ?? PeerId, 6881, 10, 20, 30, announceEvent);
}
