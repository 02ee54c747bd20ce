using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Actors.Parsing;

/// <summary>The outcome of parsing one line: an instruction, an error, or nothing (an empty line).</summary>
public sealed record ParseResult(InstructionCommands.IInstruction? Instruction, string? Command, string? Error)
{
    public static readonly ParseResult Empty = new(null, null, null);

    public static ParseResult Ok(InstructionCommands.IInstruction instruction) => new(instruction, instruction.Command, null);

    public static ParseResult Fail(string command, string error) => new(null, command, error);
}

/// <summary>
/// Parses one command line, as a pure function, into the instruction for the actor that handles it: <c>file:</c> → maker,
/// <c>torrent:http(s)://</c> → HTTP fetcher, <c>torrent:PATH</c> → file fetcher, plus <c>stop:ID</c>, <c>start:ID</c>,
/// <c>remove:ID</c> (→ patrons) and <c>status</c> (→ monitor). The grammar is <see cref="PipeGrammar"/>'s; this resolves
/// what it reads (paths against the node's folders, URLs checked) into instructions. A command that came over remoting
/// is resolved the same way, minus the grammar.
/// </summary>
public static class InstructionParser
{
    /// <param name="line">One line from stdin; surrounding whitespace and CR are ignored.</param>
    /// <param name="torrentDirectory">Where relative <c>torrent:PATH</c> names are looked up.</param>
    /// <param name="workingDirectory">Where relative <c>file:PATH</c> names are looked up.</param>
    public static ParseResult Parse(string line, string torrentDirectory, string workingDirectory)
    {
        var read = PipeGrammar.Parse(line);
        if (read.Parsed is { } parsed)
        {
            return Resolve(read.Command, parsed, RequestId.None, torrentDirectory, workingDirectory);
        }

        return read.Error is { } error ? ParseResult.Fail(read.Command, error) : ParseResult.Empty;
    }

    /// <summary>
    /// A command from a remote client, named in errors by its line (<see cref="PipeGrammar.Format"/>, trimmed, as if
    /// it had been read on stdin); the instruction carries <paramref name="request"/>.
    /// </summary>
    public static ParseResult Resolve(RemoteCommands.IRemoteCommand command, RequestId request, string torrentDirectory, string workingDirectory) =>
        PipeGrammar.Format(command) is { } line
            ? Resolve(line.Trim(), command, request, torrentDirectory, workingDirectory)
            : ParseResult.Fail(command.GetType().Name, PipeGrammar.UnknownCommand);

    private static ParseResult Resolve(string command, RemoteCommands.IRemoteCommand parsed, RequestId request, string torrentDirectory, string workingDirectory) =>
        parsed switch
        {
            RemoteCommands.GetStatus => ParseResult.Ok(new InstructionCommands.ReportStatus(command, request)),
            RemoteCommands.SeedFile seed => ResolvePath(command, seed.Path.Trim(), workingDirectory, out var full, out var error)
                ? ParseResult.Ok(new InstructionCommands.SeedPath(command, full, request))
                : ParseResult.Fail(command, error),
            RemoteCommands.AddTorrentUrl url => ResolveTorrentSource(command, url.Url.Trim(), request, torrentDirectory),
            RemoteCommands.AddTorrentPath path => ResolveTorrentSource(command, path.Path.Trim(), request, torrentDirectory),
            RemoteCommands.StopTorrent stop => ResolveId(command, stop.Id, id => new InstructionCommands.StopTorrent(command, id, request)),
            RemoteCommands.StartTorrent start => ResolveId(command, start.Id, id => new InstructionCommands.StartTorrent(command, id, request)),
            RemoteCommands.RemoveTorrent remove => ResolveId(command, remove.Id, id => new InstructionCommands.RemoveTorrent(command, id, request)),
            _ => ParseResult.Fail(command, PipeGrammar.UnknownCommand),
        };

    /// <summary>By what the source says, not by the message it came in: a remote "URL" without http(s) is a path.</summary>
    private static ParseResult ResolveTorrentSource(string command, string source, RequestId request, string torrentDirectory)
    {
        if (PipeGrammar.IsHttpUrl(source))
        {
            return Uri.TryCreate(source, UriKind.Absolute, out var url)
                   && (url.Scheme == Uri.UriSchemeHttp || url.Scheme == Uri.UriSchemeHttps)
                   && url.Host.Length > 0
                ? ParseResult.Ok(new InstructionCommands.FetchTorrentUrl(command, url, request))
                : ParseResult.Fail(command, "not a valid http(s) URL");
        }

        if (source.Contains("://", StringComparison.Ordinal))
        {
            return ParseResult.Fail(command, "only http:// and https:// URLs can be fetched");
        }

        return ResolvePath(command, source, torrentDirectory, out var full, out var error)
            ? ParseResult.Ok(new InstructionCommands.FetchTorrentFile(command, full, request))
            : ParseResult.Fail(command, error);
    }

    private static ParseResult ResolveId(string command, int id, Func<TorrentId, InstructionCommands.IInstruction> create) =>
        id > 0 ? ParseResult.Ok(create(new TorrentId(id))) : ParseResult.Fail(command, PipeGrammar.InvalidId);

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
}
