using System.CommandLine;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Node.Commands;

/// <summary>
/// <c>torrentactors send --node ADDRESS COMMAND...</c>: sends pipe-syntax commands (the arguments, or the lines of
/// stdin when there are none) to a running node and prints each reply in the pipe format.
/// </summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var client = new RemoteClientOptions();
        var commands = new Argument<string[]>("COMMAND")
        {
            Description = "file:PATH, torrent:URL, torrent:PATH, stop:ID, start:ID, remove:ID or status; paths are the node's. None: read lines from stdin",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var upload = new Option<bool>("--upload") { Description = "torrent:PATH reads PATH here and sends the .torrent's bytes to the node" };
        var replyTimeout = new Option<double>("--timeout") { Description = "Seconds to wait for each reply (making a big torrent takes a while)", DefaultValueFactory = _ => 300 };
        var command = new Command("send", "Send commands to a running node; print each reply as ID:NAME:PERCENT, ID:NAME:stopped|started|removed or error: COMMAND: REASON.") { commands, upload, replyTimeout };
        client.SetConnectedAction(command, async (remote, result, stdout, stderr, cancellationToken) =>
        {
            var lines = result.GetValue(commands) is { Length: > 0 } given ? Each(given) : ReadLinesAsync(Console.In, cancellationToken);
            var timeout = TimeSpan.FromSeconds(Math.Clamp(result.GetValue(replyTimeout), 1, 86_400));
            var failures = 0;
            await foreach (var line in lines.WithCancellation(cancellationToken))
            {
                if (!await SendAsync(remote, line.Trim(), result.GetValue(upload), timeout, stdout, stderr))
                {
                    failures++;
                }
            }

            return failures == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// Reads a pipe line with the node's own grammar (<see cref="PipeGrammar"/>) into the remote command it spells;
    /// null with the grammar's reason for a line that is not one. With <paramref name="upload"/>, a <c>torrent:PATH</c>
    /// is read here and its bytes are sent instead of the path.
    /// </summary>
    internal static RemoteCommands.IRemoteCommand? ToRemote(string line, bool upload, out string? error)
    {
        var read = PipeGrammar.Parse(line);
        error = read.Error;
        if (read.Parsed is null)
        {
            error ??= "no command";
            return null;
        }

        if (!upload || read.Parsed is not RemoteCommands.AddTorrentPath { Path: var source } || source.Contains("://", StringComparison.Ordinal))
        {
            return read.Parsed;
        }

        try
        {
            var info = new FileInfo(source);
            if (info.Exists && info.Length > RemoteProtocol.MaxTorrentBytes)
            {
                error = $"the file is {info.Length} bytes; the limit is {RemoteProtocol.MaxTorrentBytes}";
                return null;
            }

            return new RemoteCommands.AddTorrentBytes([.. File.ReadAllBytes(source)]);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"cannot read {source}: {ex.Message}";
            return null;
        }
    }

    private static async Task<bool> SendAsync(RemoteClient remote, string line, bool upload, TimeSpan timeout, TextWriter stdout, TextWriter stderr)
    {
        if (line.Length == 0)
        {
            return true;
        }

        if (ToRemote(line, upload, out var error) is not { } message)
        {
            await stdout.WriteLineAsync(RemoteClientOptions.Line(line, error!));
            return false;
        }

        RemoteReplies.IRemoteReply reply;
        try
        {
            reply = await remote.AskAsync(message, timeout);
        }
        catch (RemoteNodeException ex)
        {
            await stderr.WriteLineAsync($"error: {line}: {ex.Message}");
            return false;
        }

        switch (reply)
        {
            case RemoteReplies.TorrentAdded added:
                await stdout.WriteLineAsync(RemoteClientOptions.Line(new RemoteEvents.TorrentProgress(added.Id, added.Name, -1, added.InfoHash, "stopped")));
                await stderr.WriteLineAsync($"added {added.Id}: {added.Name} ({added.InfoHash})");
                return true;
            case RemoteReplies.CommandApplied applied:
                await stdout.WriteLineAsync(RemoteClientOptions.Line(applied));
                return true;
            case RemoteReplies.CommandAccepted:
                return true;
            case RemoteReplies.StatusReport report:
                foreach (var torrent in report.Torrents)
                {
                    await stdout.WriteLineAsync(RemoteClientOptions.Line(torrent));
                }

                return true;
            case RemoteReplies.CommandFailed failed:
                await stdout.WriteLineAsync(RemoteClientOptions.Line(failed.Command, failed.Reason));
                return false;
            default:
                await stderr.WriteLineAsync($"error: {line}: unexpected reply {reply.GetType().Name}");
                return false;
        }
    }

    /// <summary>The command-line arguments as the same kind of sequence as stdin's lines (spelled out: System.Linq.Async, which
    /// linq2db brings along, and .NET's own System.Linq.AsyncEnumerable both offer <c>ToAsyncEnumerable</c>).</summary>
    private static async IAsyncEnumerable<string> Each(string[] lines)
    {
        foreach (var line in lines)
        {
            yield return line;
        }

        await Task.CompletedTask;
    }

    private static async IAsyncEnumerable<string> ReadLinesAsync(TextReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            yield return line;
        }
    }
}
