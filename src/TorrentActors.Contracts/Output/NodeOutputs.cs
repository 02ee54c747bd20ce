using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Contracts.Output;

/// <summary>What the node writes to stdout, one line each.</summary>
public static class NodeOutputs
{
    public interface INodeOutput;

    /// <summary>
    /// <c>ID:NAME:PERCENT</c>. <paramref name="Percent"/> is -1 while the torrent is known but not started,
    /// then the whole-number percentage of verified data. <paramref name="StatusReply"/>: a line of a <c>status</c>
    /// reply, where a stopped torrent this node holds reads <c>ID:NAME:stopped</c> in plain text.
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
        ReplicaSummary? Replicas = null,
        bool StatusReply = false) : INodeOutput;

    /// <summary>
    /// In a cluster: how many complete copies the torrent should have (<paramref name="Target"/>), whether it has them,
    /// whether this node holds a copy, and every member's copy. A torrent this node does not hold shows the best copy's
    /// percentage.
    /// </summary>
    public sealed record ReplicaSummary(int Target, bool AtTarget, bool HeldHere, System.Collections.Immutable.ImmutableArray<ReplicaCopy> Copies);

    /// <summary>One member's copy: <paramref name="Holder"/> when placement chose it.</summary>
    public sealed record ReplicaCopy(string Node, int Percent, bool Complete, bool Holder);

    /// <summary>
    /// <c>ID:NAME:stopped</c>, <c>ID:NAME:started</c> or <c>ID:NAME:removed</c>: the answer to a stop, start or remove once
    /// it took effect. A word where a progress line has a number, so a parent tells the two apart.
    /// </summary>
    public sealed record Answer(TorrentId Id, string Name, CommandOutcome Outcome, string Command, RequestId Request) : INodeOutput;

    /// <summary><c>error: COMMAND: REASON</c>; <paramref name="Request"/> is the request the command came from (not printed).</summary>
    public sealed record Error(string Command, string Reason, RequestId Request) : INodeOutput;
}

/// <summary>What a stop, start or remove did.</summary>
public enum CommandOutcome
{
    Stopped,
    Started,
    Removed,
}
