namespace TorrentActors.Contracts.Instructions;

/// <summary>
/// The parsed commands of the pipe protocol. Each carries <see cref="IInstruction.Command"/>,
/// the line as the parent wrote it (trimmed), so errors can name it, and <see cref="IInstruction.Request"/>,
/// the request it came from, which every outcome carries back.
/// </summary>
public static class InstructionCommands
{
    public interface IInstruction
    {
        string Command { get; }

        RequestId Request { get; }
    }

    /// <summary><c>file:PATH</c>: make a torrent of a local file or folder and seed it in place.</summary>
    public sealed record SeedPath(string Command, string Path, RequestId Request) : IInstruction;

    /// <summary><c>torrent:http(s)://...</c>: fetch a .torrent over HTTP and download it.</summary>
    public sealed record FetchTorrentUrl(string Command, Uri Url, RequestId Request) : IInstruction;

    /// <summary><c>torrent:PATH</c>: read a .torrent from disk (relative to the torrent folder) and download it.</summary>
    public sealed record FetchTorrentFile(string Command, string Path, RequestId Request) : IInstruction;

    /// <summary><c>stop:ID</c>: stop the torrent's session, keep it known.</summary>
    public sealed record StopTorrent(string Command, TorrentId Id, RequestId Request) : IInstruction;

    /// <summary><c>start:ID</c>: start a stopped torrent again.</summary>
    public sealed record StartTorrent(string Command, TorrentId Id, RequestId Request) : IInstruction;

    /// <summary><c>remove:ID</c>: stop the torrent and forget it; its data stays on disk.</summary>
    public sealed record RemoveTorrent(string Command, TorrentId Id, RequestId Request) : IInstruction;

    /// <summary><c>status</c>: a line for every torrent.</summary>
    public sealed record ReportStatus(string Command, RequestId Request) : IInstruction;
}
