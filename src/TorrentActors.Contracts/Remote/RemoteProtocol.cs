using System.Collections.Frozen;

namespace TorrentActors.Contracts.Remote;

/// <summary>Every message that may cross the wire between nodes; only these are bound to a serializer.</summary>
public interface IRemoteProtocolMessage;

/// <summary>
/// The remote control protocol, version 1: its well-known names, limits and the manifest of every message.
/// A manifest never changes meaning: a new shape of a message gets a new manifest (<c>seed-v2</c>), and the old
/// one keeps working as long as it is listed here.
/// </summary>
public static class RemoteProtocol
{
    public const int Version = 1;

    /// <summary>
    /// The actor system name every node uses (its only definition: the node's host and the clients take it from here);
    /// it is part of the node address.
    /// </summary>
    public const string SystemName = "torrentactors";

    /// <summary>The gateway's name under <c>/user</c>.</summary>
    public const string GatewayName = "torrents";

    public const string GatewayPath = "/user/" + GatewayName;

    /// <summary>
    /// The largest .torrent a client may send as bytes. The frame limit must hold it after JSON's base64 (4/3)
    /// plus the envelope, which <see cref="DefaultMaxFrameBytes"/> does.
    /// </summary>
    public const int MaxTorrentBytes = 4 * 1024 * 1024;

    /// <summary>6 MiB: a 4 MiB torrent is 5.34 MiB as base64, plus a few hundred bytes of envelope.</summary>
    public const int DefaultMaxFrameBytes = 6 * 1024 * 1024;

    /// <summary>Manifests by type. Short, versioned, stable.</summary>
    public static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(RemoteCommands.SeedFile)] = "seed-v1",
        [typeof(RemoteCommands.AddTorrentUrl)] = "add-url-v1",
        [typeof(RemoteCommands.AddTorrentPath)] = "add-path-v1",
        [typeof(RemoteCommands.AddTorrentBytes)] = "add-bytes-v1",
        [typeof(RemoteCommands.StopTorrent)] = "stop-v1",
        [typeof(RemoteCommands.StartTorrent)] = "start-v1",
        [typeof(RemoteCommands.RemoveTorrent)] = "remove-v1",
        [typeof(RemoteCommands.GetStatus)] = "status-v1",
        [typeof(RemoteCommands.Subscribe)] = "subscribe-v1",
        [typeof(RemoteCommands.Unsubscribe)] = "unsubscribe-v1",
        [typeof(RemoteReplies.TorrentAdded)] = "added-v1",
        [typeof(RemoteReplies.CommandAccepted)] = "accepted-v1",
        [typeof(RemoteReplies.CommandApplied)] = "applied-v1",
        [typeof(RemoteReplies.CommandFailed)] = "failed-v1",
        [typeof(RemoteReplies.StatusReport)] = "status-report-v1",
        [typeof(RemoteReplies.Subscribed)] = "subscribed-v1",
        [typeof(RemoteReplies.Unsubscribed)] = "unsubscribed-v1",
        [typeof(RemoteEvents.TorrentProgress)] = "progress-v1",
        [typeof(RemoteEvents.TorrentCompleted)] = "completed-v1",
        [typeof(RemoteEvents.NodeError)] = "error-v1",
        [typeof(RemoteEvents.TorrentRemoved)] = "removed-v1",
        [typeof(RemoteEvents.CommandAnswered)] = "answer-v1",
        [typeof(RemoteEvents.ReplicaChanged)] = "replica-v1",
    }.ToFrozenDictionary();
}
