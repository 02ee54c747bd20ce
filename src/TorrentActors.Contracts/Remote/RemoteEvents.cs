using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace TorrentActors.Contracts.Remote;

/// <summary>What a node tells its subscribers: the lines it prints on its stdout, as messages.</summary>
public static class RemoteEvents
{
    public interface IRemoteEvent : IRemoteProtocolMessage;

    /// <summary>
    /// <c>ID:NAME:PERCENT</c>: <paramref name="Percent"/> is -1 while the torrent is known but not started.
    /// <paramref name="State"/> is the engine's state in lower case (<c>downloading</c>, <c>seeding</c>...), or
    /// <c>elsewhere</c> for a cluster's torrent this member does not hold. <paramref name="Replicas"/> only from a cluster
    /// member (and left out of the message otherwise, so a single node's messages are what they were).
    /// </summary>
    public sealed record TorrentProgress(
        int Id,
        string Name,
        int Percent,
        string InfoHash,
        string State,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ReplicaInfo? Replicas = null) : IRemoteEvent;

    /// <summary>A cluster's torrent: the complete copies it should have, whether it has them, and every member's copy.</summary>
    public sealed record ReplicaInfo(int Target, bool AtTarget, ImmutableArray<ReplicaCopyInfo> Copies)
    {
        public bool Equals(ReplicaInfo? other) =>
            other is not null && Target == other.Target && AtTarget == other.AtTarget && Copies.SequenceEqual(other.Copies);

        public override int GetHashCode() => HashCode.Combine(Target, AtTarget, Copies.Length);
    }

    /// <summary>One member's copy; <paramref name="Holder"/> when placement chose that member.</summary>
    public sealed record ReplicaCopyInfo(string Node, int Percent, bool Complete, bool Holder);

    /// <summary>
    /// Something happened to a replica on member <paramref name="Node"/>: <paramref name="Kind"/> is <c>placed</c> (it
    /// fetches a copy), <c>complete</c>, <c>dropped</c>, <c>lost</c> (below target) or <c>healed</c> (back at target).
    /// </summary>
    public sealed record ReplicaChanged(int Id, string Name, string Kind, string Node, string Detail) : IRemoteEvent;

    /// <summary>The torrent reached 100% (sent right after its last <see cref="TorrentProgress"/>).</summary>
    public sealed record TorrentCompleted(int Id, string Name, string InfoHash) : IRemoteEvent;

    /// <summary><c>error: COMMAND: REASON</c> as the node printed it, whoever sent the command.</summary>
    public sealed record NodeError(string Command, string Reason) : IRemoteEvent;

    /// <summary>
    /// <c>ID:NAME:OUTCOME</c> as the node printed it: a stop, start or remove took effect, whoever sent it;
    /// <paramref name="Outcome"/> is <c>stopped</c>, <c>started</c> or <c>removed</c>.
    /// </summary>
    public sealed record CommandAnswered(int Id, string Name, string Outcome, string Command) : IRemoteEvent;

    /// <summary>The torrent left the node (removed or given up).</summary>
    public sealed record TorrentRemoved(int Id) : IRemoteEvent;
}
