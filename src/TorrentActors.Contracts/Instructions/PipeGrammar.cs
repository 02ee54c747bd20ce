using System.Globalization;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Contracts.Instructions;

/// <summary>
/// The pipe protocol's grammar, the one the node reads on stdin and <c>torrentactors send</c> reads from its user:
/// <c>file:PATH</c>, <c>torrent:URL</c>, <c>torrent:PATH</c>, <c>stop:ID</c>, <c>start:ID</c>, <c>remove:ID</c> and
/// <c>status</c>. <see cref="Parse"/> reads a line into the <see cref="RemoteCommands"/> message it spells, with paths
/// and URLs as written: the node resolves and checks them, whether the message came from its stdin or over remoting.
/// <see cref="Format"/> writes a message back as its line. Pure: no file system, no node settings.
/// </summary>
public static class PipeGrammar
{
    public const string UnknownCommand = "unknown command (expected file:PATH, torrent:URL, torrent:PATH, stop:ID, start:ID, remove:ID or status)";

    public const string InvalidId = "the ID must be a positive whole number";

    /// <param name="line">One line; surrounding whitespace and CR are ignored, and so is the space around a command's argument.</param>
    public static PipeLine Parse(string line)
    {
        var command = line.Trim();
        if (command.Length == 0)
        {
            return PipeLine.Empty;
        }

        if (command == "status")
        {
            return PipeLine.Ok(command, RemoteCommands.GetStatus.Instance);
        }

        if (TryStrip(command, "file:", out var path))
        {
            return PipeLine.Ok(command, new RemoteCommands.SeedFile(path));
        }

        if (TryStrip(command, "torrent:", out var source))
        {
            return PipeLine.Ok(command, IsHttpUrl(source) ? new RemoteCommands.AddTorrentUrl(source) : new RemoteCommands.AddTorrentPath(source));
        }

        if (TryStrip(command, "stop:", out var stop))
        {
            return ParseId(command, stop, id => new RemoteCommands.StopTorrent(id));
        }

        if (TryStrip(command, "start:", out var start))
        {
            return ParseId(command, start, id => new RemoteCommands.StartTorrent(id));
        }

        if (TryStrip(command, "remove:", out var remove))
        {
            return ParseId(command, remove, id => new RemoteCommands.RemoveTorrent(id));
        }

        return PipeLine.Fail(command, UnknownCommand);
    }

    /// <summary>The command as a line of the pipe protocol; null for those that have none (uploads, subscriptions).</summary>
    public static string? Format(RemoteCommands.IRemoteCommand command) => command switch
    {
        RemoteCommands.SeedFile seed => "file:" + seed.Path,
        RemoteCommands.AddTorrentUrl url => "torrent:" + url.Url,
        RemoteCommands.AddTorrentPath path => "torrent:" + path.Path,
        RemoteCommands.StopTorrent stop => "stop:" + stop.Id.ToString(CultureInfo.InvariantCulture),
        RemoteCommands.StartTorrent start => "start:" + start.Id.ToString(CultureInfo.InvariantCulture),
        RemoteCommands.RemoveTorrent remove => "remove:" + remove.Id.ToString(CultureInfo.InvariantCulture),
        RemoteCommands.GetStatus => "status",
        _ => null,
    };

    /// <summary>A <c>torrent:</c> source the node fetches over HTTP (the scheme in any case); anything else is a path.</summary>
    public static bool IsHttpUrl(string source) =>
        source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static PipeLine ParseId(string command, string text, Func<int, RemoteCommands.IRemoteCommand> create) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? PipeLine.Ok(command, create(id))
            : PipeLine.Fail(command, InvalidId);

    private static bool TryStrip(string command, string prefix, out string rest)
    {
        if (command.StartsWith(prefix, StringComparison.Ordinal))
        {
            rest = command[prefix.Length..].Trim();
            return true;
        }

        rest = "";
        return false;
    }
}

/// <summary>
/// One line read by <see cref="PipeGrammar.Parse"/>: <see cref="Command"/> is the line trimmed (what errors echo), and
/// either <see cref="Parsed"/> or <see cref="Error"/> is set, or neither for an empty line.
/// </summary>
public sealed record PipeLine(string Command, RemoteCommands.IRemoteCommand? Parsed, string? Error)
{
    public static readonly PipeLine Empty = new("", null, null);

    public bool IsEmpty => Parsed is null && Error is null;

    public static PipeLine Ok(string command, RemoteCommands.IRemoteCommand parsed) => new(command, parsed, null);

    public static PipeLine Fail(string command, string error) => new(command, null, error);
}
