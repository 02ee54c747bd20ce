using System.Buffers.Binary;
using System.Net;

namespace TorrentActors.Engine.Trackers;

/// <summary>Compact peer lists: 6 bytes per IPv4 peer (BEP 23), 18 bytes per IPv6 peer (BEP 7), port big-endian.</summary>
public static class CompactPeers
{
    public const int IPv4EntryLength = 6;
    public const int IPv6EntryLength = 18;

    /// <summary>Reads every whole entry; a trailing partial entry is ignored. Port 0 entries are skipped.</summary>
    public static void ReadIPv4(ReadOnlySpan<byte> data, ICollection<IPEndPoint> peers) => Read(data, 4, peers);

    public static void ReadIPv6(ReadOnlySpan<byte> data, ICollection<IPEndPoint> peers) => Read(data, 16, peers);

    public static IReadOnlyList<IPEndPoint> ReadIPv4(ReadOnlySpan<byte> data)
    {
        var peers = new List<IPEndPoint>(data.Length / IPv4EntryLength);
        ReadIPv4(data, peers);
        return peers;
    }

    public static IReadOnlyList<IPEndPoint> ReadIPv6(ReadOnlySpan<byte> data)
    {
        var peers = new List<IPEndPoint>(data.Length / IPv6EntryLength);
        ReadIPv6(data, peers);
        return peers;
    }

    private static void Read(ReadOnlySpan<byte> data, int addressLength, ICollection<IPEndPoint> peers)
    {
        var entryLength = addressLength + 2;
        for (var offset = 0; offset + entryLength <= data.Length; offset += entryLength)
        {
            var entry = data.Slice(offset, entryLength);
            var port = BinaryPrimitives.ReadUInt16BigEndian(entry[addressLength..]);
            if (port == 0)
            {
                continue;
            }

            peers.Add(new IPEndPoint(new IPAddress(entry[..addressLength]), port));
        }
    }
}
