using System.Collections.Immutable;
using Akka.DistributedData;

namespace TorrentActors.Actors.Cluster;

/// <summary>Everything one member sends another about the catalog and the replicas; bound to the cluster's serializer.</summary>
public interface IClusterMessage
{
}

/// <summary>What the cluster wants of a torrent: held and running, held and stopped, or gone for good.</summary>
public enum ReplicaGoal
{
    Running,
    Stopped,
    Removed,
}

/// <summary>
/// One torrent of the cluster, as every member holds it in <see cref="ClusterKeys.Catalog"/> (keyed by infohash hex).
/// <paramref name="Id"/> names it on every member and is never given to another torrent, even after removal (a removed
/// torrent stays as a tombstone with <see cref="ReplicaGoal.Removed"/>). <paramref name="SeededInPlaceBy"/> is the node
/// whose user file the torrent was made from (<c>file:</c>), which seeds it in place and never deletes it.
/// <paramref name="Version"/> grows with every change and is the last-writer-wins clock, so a member that comes back
/// with an old copy cannot bring back what was changed or removed meanwhile.
/// </summary>
public sealed record CatalogEntry(
    int Id,
    string InfoHash,
    string Name,
    long TotalBytes,
    int Replicas,
    string AddedBy,
    string? SeededInPlaceBy,
    ReplicaGoal Goal,
    long Version) : IClusterMessage;

/// <summary>A torrent's metainfo (the .torrent bytes), kept under <see cref="ClusterKeys.Metainfo"/>; it never changes.</summary>
public sealed record TorrentMetainfo(string InfoHash, byte[] Bytes) : IClusterMessage;

/// <summary>How far one member is with one torrent.</summary>
/// <param name="Percent">Whole-number percentage of verified data.</param>
/// <param name="Complete">Every piece is verified (the member can serve the whole torrent).</param>
/// <param name="OwnData">The data is the user's own file seeded in place, not a copy downloaded for the cluster.</param>
public sealed record Holding(int Percent, bool Complete, bool OwnData);

/// <summary>
/// What one node holds and where its peers reach it, as it publishes it in <see cref="ClusterKeys.Holdings"/> (keyed by
/// node name). Only the node itself writes its entry. <paramref name="Draining"/>: the node is leaving and hands its
/// torrents off; placement leaves it out while its copies still count.
/// </summary>
public sealed record MemberHoldings(string Node, string PeerHost, int PeerPort, ImmutableSortedDictionary<string, Holding> Torrents, bool Draining = false)
    : IClusterMessage;

/// <summary>The distributed-data keys of the cluster.</summary>
public static class ClusterKeys
{
    /// <summary>Every torrent of the cluster, infohash hex → entry, on every member.</summary>
    public static readonly LWWDictionaryKey<string, CatalogEntry> Catalog = new("catalog");

    /// <summary>Node name → what that node holds.</summary>
    public static readonly LWWDictionaryKey<string, MemberHoldings> Holdings = new("holdings");

    /// <summary>The .torrent bytes of one torrent, a key of its own so the catalog stays small.</summary>
    public static LWWRegisterKey<TorrentMetainfo> Metainfo(string infoHashHex) => new("metainfo-" + infoHashHex.ToLowerInvariant());

    /// <summary>
    /// The cluster role that carries a member's node name (stable across restarts, kept in its state folder). Roles go into
    /// HOCON unquoted, so the prefix (and a node name) keeps to letters, digits, <c>-</c> and <c>_</c>.
    /// </summary>
    public const string NodeRolePrefix = "node-";
}
