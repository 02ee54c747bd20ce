using System.Collections.Immutable;

namespace TorrentActors.Contracts.Remote;

/// <summary>The gateway's answers to <see cref="RemoteCommands"/>, sent to the command's sender.</summary>
public static class RemoteReplies
{
    public interface IRemoteReply : IRemoteProtocolMessage;

    /// <summary>The torrent is on the node as <paramref name="Id"/>; <paramref name="InfoHash"/> is 40 hex digits.</summary>
    public sealed record TorrentAdded(string Command, int Id, string Name, string InfoHash) : IRemoteReply;

    /// <summary>
    /// A stop, start or remove took effect on torrent <paramref name="Id"/>; <paramref name="Outcome"/> is <c>stopped</c>,
    /// <c>started</c> or <c>removed</c>, the word of the node's answer line <c>ID:NAME:OUTCOME</c>.
    /// </summary>
    public sealed record CommandApplied(string Command, int Id, string Name, string Outcome) : IRemoteReply;

    /// <summary>A stop, start or remove went to a torrent the node knows (the reply of nodes before answer lines).</summary>
    public sealed record CommandAccepted(string Command) : IRemoteReply;

    /// <summary>The command failed; <paramref name="Reason"/> is what the node prints after <c>error: COMMAND:</c>.</summary>
    public sealed record CommandFailed(string Command, string Reason) : IRemoteReply;

    /// <summary>Every torrent on the node, by ID.</summary>
    public sealed record StatusReport(ImmutableArray<RemoteEvents.TorrentProgress> Torrents) : IRemoteReply;

    /// <summary>The subscription is on; <paramref name="Torrents"/> is where each torrent stands now.</summary>
    public sealed record Subscribed(ImmutableArray<RemoteEvents.TorrentProgress> Torrents) : IRemoteReply;

    public sealed record Unsubscribed : IRemoteReply
    {
        public static readonly Unsubscribed Instance = new();

        private Unsubscribed()
        {
        }
    }
}
