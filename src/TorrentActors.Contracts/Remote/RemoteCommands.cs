using System.Collections.Immutable;

namespace TorrentActors.Contracts.Remote;

/// <summary>
/// What another process may ask a node's gateway (<see cref="RemoteProtocol.GatewayPath"/>). The commands with a
/// pipe form are what <see cref="Instructions.PipeGrammar"/> reads from a line and writes back as one, and the node
/// resolves them exactly as it does the lines of its stdin. The reply goes to the sender, for that command alone:
/// <see cref="RemoteReplies.TorrentAdded"/>, <see cref="RemoteReplies.CommandApplied"/> (a stop, start or remove once it
/// took effect) or <see cref="RemoteReplies.CommandFailed"/>, never silence.
/// </summary>
public static class RemoteCommands
{
    public interface IRemoteCommand : IRemoteProtocolMessage;

    /// <summary>Make a torrent of a file or folder on the node and seed it in place (<c>file:PATH</c>).</summary>
    public sealed record SeedFile(string Path) : IRemoteCommand;

    /// <summary>Fetch a .torrent over HTTP(S) and download it (<c>torrent:URL</c>).</summary>
    public sealed record AddTorrentUrl(string Url) : IRemoteCommand;

    /// <summary>Read a .torrent from the node's disk and download it (<c>torrent:PATH</c>).</summary>
    public sealed record AddTorrentPath(string Path) : IRemoteCommand;

    /// <summary>Download the torrent whose .torrent bytes are sent along (at most <see cref="RemoteProtocol.MaxTorrentBytes"/>).</summary>
    public sealed record AddTorrentBytes(ImmutableArray<byte> TorrentBytes) : IRemoteCommand;

    public sealed record StopTorrent(int Id) : IRemoteCommand;

    public sealed record StartTorrent(int Id) : IRemoteCommand;

    public sealed record RemoveTorrent(int Id) : IRemoteCommand;

    /// <summary>The reply is a <see cref="RemoteReplies.StatusReport"/>.</summary>
    public sealed record GetStatus : IRemoteCommand
    {
        public static readonly GetStatus Instance = new();

        private GetStatus()
        {
        }
    }

    /// <summary>
    /// The sender receives every <see cref="RemoteEvents"/> message of the node from now on, until it unsubscribes
    /// or dies (the gateway watches it). The reply is <see cref="RemoteReplies.Subscribed"/> with the current torrents.
    /// </summary>
    public sealed record Subscribe : IRemoteCommand
    {
        public static readonly Subscribe Instance = new();

        private Subscribe()
        {
        }
    }

    public sealed record Unsubscribe : IRemoteCommand
    {
        public static readonly Unsubscribe Instance = new();

        private Unsubscribe()
        {
        }
    }
}
