namespace TorrentActors.Contracts.Remote;

/// <summary>What a node tells its subscribers: the lines it prints on its stdout, as messages.</summary>
public static class RemoteEvents
{
    public interface IRemoteEvent : IRemoteProtocolMessage;

    /// <summary>
    /// <c>ID:NAME:PERCENT</c>: <paramref name="Percent"/> is -1 while the torrent is known but not started.
    /// <paramref name="State"/> is the engine's state in lower case (<c>downloading</c>, <c>seeding</c>...).
    /// </summary>
    public sealed record TorrentProgress(int Id, string Name, int Percent, string InfoHash, string State) : IRemoteEvent;

    /// <summary>The torrent reached 100% (sent right after its last <see cref="TorrentProgress"/>).</summary>
    public sealed record TorrentCompleted(int Id, string Name, string InfoHash) : IRemoteEvent;

    /// <summary><c>error: COMMAND: REASON</c> as the node printed it, whoever sent the command.</summary>
    public sealed record NodeError(string Command, string Reason) : IRemoteEvent;

    /// <summary>The torrent left the node (removed or given up).</summary>
    public sealed record TorrentRemoved(int Id) : IRemoteEvent;
}
