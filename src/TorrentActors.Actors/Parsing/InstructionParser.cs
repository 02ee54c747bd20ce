using System.Globalization;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;

namespace TorrentActors.Actors.Parsing;

/// <summary>The outcome of parsing one line: an instruction, an error, or nothing (an empty line).</summary>
public sealed record ParseResult(InstructionCommands.IInstruction? Instruction, string? Command, string? Error)
{
    public static readonly ParseResult Empty = new(null, null, null);

    public static ParseResult Ok(InstructionCommands.IInstruction instruction) => new(instruction, instruction.Command, null);

    public static ParseResult Fail(string command, string error) => new(null, command, error);
}

/// <summary>
/// Parses one command line, as a pure function, into the instruction for the actor that handles it: <c>file:</c> → maker, <c>torrent:http(s)://</c> → HTTP fetcher,
/// <c>torrent:PATH</c> → file fetcher, plus <c>stop:ID</c>, <c>start:ID</c>, <c>remove:ID</c> (→ patrons) and <c>status</c> (→ monitor).
/// </summary>
public static class InstructionParser
{
    public const string UnknownCommand = "unknown command (expected file:PATH, torrent:URL, torrent:PATH, stop:ID, start:ID, remove:ID or status)";

    /// <param name="line">One line from stdin; surrounding whitespace and CR are ignored.</param>
    /// <param name="torrentDirectory">Where relative <c>torrent:PATH</c> names are looked up.</param>
    /// <param name="workingDirectory">Where relative <c>file:PATH</c> names are looked up.</param>
    public static ParseResult Parse(string line, string torrentDirectory, string workingDirectory)
    {
        var command = line.Trim();
        if (command.Length == 0)
        {
            return ParseResult.Empty;
        }

        if (command == "status")
        {
            return ParseResult.Ok(new InstructionCommands.ReportStatus(command));
        }

        if (TryStrip(command, "file:", out var file))
        {
            return ResolvePath(command, file, workingDirectory, out var full, out var error)
                ? ParseResult.Ok(new InstructionCommands.SeedPath(command, full))
                : ParseResult.Fail(command, error);
        }

        if (TryStrip(command, "torrent:", out var source))
        {
            return ParseTorrentSource(command, source, torrentDirectory);
        }

        if (TryStrip(command, "stop:", out var stop))
        {
            return ParseId(command, stop, id => new InstructionCommands.StopTorrent(command, id));
        }

        if (TryStrip(command, "start:", out var start))
        {
            return ParseId(command, start, id => new InstructionCommands.StartTorrent(command, id));
        }

        if (TryStrip(command, "remove:", out var remove))
        {
            return ParseId(command, remove, id => new InstructionCommands.RemoveTorrent(command, id));
        }

        return ParseResult.Fail(command, UnknownCommand);
    }

    private static ParseResult ParseTorrentSource(string command, string source, string torrentDirectory)
    {
        if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return Uri.TryCreate(source, UriKind.Absolute, out var url)
                   && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
                   && url.Host.Length > 0
                ? ParseResult.Ok(new InstructionCommands.FetchTorrentUrl(command, url))
                : ParseResult.Fail(command, "not a valid http(s) URL");
        }

        if (source.Contains("://", StringComparison.Ordinal))
        {
            return ParseResult.Fail(command, "only http:// and https:// URLs can be fetched");
        }

        return ResolvePath(command, source, torrentDirectory, out var full, out var error)
            ? ParseResult.Ok(new InstructionCommands.FetchTorrentFile(command, full))
            : ParseResult.Fail(command, error);
    }

    private static ParseResult ParseId(string command, string text, Func<TorrentId, InstructionCommands.IInstruction> create) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
            ? ParseResult.Ok(create(new TorrentId(id)))
            : ParseResult.Fail(command, "the ID must be a positive whole number");

    private static bool ResolvePath(string command, string path, string baseDirectory, out string full, out string error)
    {
        full = "";
        error = "";
        if (path.Length == 0)
        {
            error = "no path given";
            return false;
        }

        if (path.Contains('\0'))
        {
            error = "the path contains a NUL character";
            return false;
        }

        try
        {
            full = Path.GetFullPath(path, baseDirectory);
            return true;
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            error = $"not a usable path ({ex.Message})";
            return false;
        }
    }

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
