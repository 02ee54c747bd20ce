using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Contracts.Output;

/// <summary>What the node writes to stdout, one line each.</summary>
public static class NodeOutputs
{
    public interface INodeOutput;

    /// <summary>
    /// <c>ID:NAME:PERCENT</c>. <paramref name="Percent"/> is -1 while the torrent is known but not started,
    /// then the whole-number percentage of verified data.
    /// </summary>
    public sealed record Progress(
        TorrentId Id,
        string Name,
        int Percent,
        InfoHash InfoHash,
        TorrentState State,
        long DownloadRate,
        long UploadRate,
        int PeerCount,
        string? TrackerError = null,
        ReplicaSummary? Replicas = null) : INodeOutput;

    /// <summary>
    /// In a cluster: how many complete copies the torrent should have (<paramref name="Target"/>), whether it has them,
    /// whether this node holds a copy, and every member's copy. A torrent this node does not hold shows the best copy's
    /// percentage.
    /// </summary>
    public sealed record ReplicaSummary(int Target, bool AtTarget, bool HeldHere, System.Collections.Immutable.ImmutableArray<ReplicaCopy> Copies);

    /// <summary>One member's copy: <paramref name="Holder"/> when placement chose it.</summary>
    public sealed record ReplicaCopy(string Node, int Percent, bool Complete, bool Holder);

    /// <summary><c>error: COMMAND: REASON</c>; <paramref name="Request"/> is the request the command came from (not printed).</summary>
    public sealed record Error(string Command, string Reason, RequestId Request) : INodeOutput;
}
