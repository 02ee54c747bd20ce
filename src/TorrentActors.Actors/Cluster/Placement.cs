using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace TorrentActors.Actors.Cluster;

/// <summary>
/// Which members hold a torrent: rendezvous (highest random weight) hashing. Every member scores every node against the
/// torrent with the same hash (SHA-256 of the infohash and the node name) and the <c>R</c> highest scores win, so each
/// member computes the same holders from the same member list with no coordinator. When a node joins it takes a torrent
/// only where it outscores a current holder, and when one leaves only its torrents move: about R/N of them, the least
/// any placement can move. Pure; node names are compared ordinally.
/// </summary>
public static class Placement
{
    /// <summary>The holders of <paramref name="infoHashHex"/> among <paramref name="nodes"/>, best first: min(R, N) of them.</summary>
    public static ImmutableArray<string> Holders(string infoHashHex, IReadOnlyCollection<string> nodes, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        var count = Math.Min(replicas, nodes.Count);
        if (count == 0)
        {
            return [];
        }

        var torrent = Convert.FromHexString(infoHashHex);
        var scored = new List<(ulong Score, string Node)>(nodes.Count);
        foreach (var node in nodes)
        {
            scored.Add((Score(torrent, node), node));
        }

        scored.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(a.Node, b.Node));
        var holders = ImmutableArray.CreateBuilder<string>(count);
        for (var i = 0; i < count; i++)
        {
            holders.Add(scored[i].Node);
        }

        return holders.MoveToImmutable();
    }

    /// <summary>The weight of <paramref name="node"/> for a torrent: the first 8 bytes of SHA-256(infohash ‖ node name).</summary>
    public static ulong Score(ReadOnlySpan<byte> infoHash, string node)
    {
        var nameLength = Encoding.UTF8.GetByteCount(node);
        var input = nameLength + infoHash.Length <= 512 ? stackalloc byte[infoHash.Length + nameLength] : new byte[infoHash.Length + nameLength];
        infoHash.CopyTo(input);
        Encoding.UTF8.GetBytes(node, input[infoHash.Length..]);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, digest);
        return BinaryPrimitives.ReadUInt64BigEndian(digest);
    }
}
