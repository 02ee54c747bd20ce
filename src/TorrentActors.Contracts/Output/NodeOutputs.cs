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
        string? TrackerError = null) : INodeOutput;

    /// <summary><c>error: COMMAND: REASON</c>; <paramref name="Request"/> is the request the command came from (not printed).</summary>
    public sealed record Error(string Command, string Reason, RequestId Request) : INodeOutput;
}
