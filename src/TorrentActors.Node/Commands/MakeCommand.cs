using System.CommandLine;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Node.Commands;

/// <summary>
/// <c>torrentactors make PATH</c>: writes a v1 .torrent for a file or folder and prints its infohash (hex) as the
/// only line on stdout; progress and errors go to stderr.
/// </summary>
internal static class MakeCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("PATH") { Description = "The file or folder to make a torrent of." };
        var announce = new Option<string[]>("--announce", "-a")
        {
            Description = "Tracker announce URL; repeat for more trackers (each becomes its own tier, in order).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var pieceLength = new Option<long?>("--piece-length", "-l")
        {
            Description = "Piece length in bytes: a power of two from 16384 to 16777216 (default: chosen for 1,000-2,000 pieces).",
        };
        var isPrivate = new Option<bool>("--private", "-p") { Description = "Mark the torrent private (BEP 27): trackers only, no DHT or PEX." };
        var comment = new Option<string?>("--comment", "-c") { Description = "A free-text comment stored in the torrent." };
        var webSeeds = new Option<string[]>("--web-seed", "-w")
        {
            Description = "Web seed URL (BEP 19); repeat for more.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the .torrent (default: NAME.torrent in the current folder)." };
        var name = new Option<string?>("--name", "-n") { Description = "The torrent's name (default: the file or folder name)." };
        var force = new Option<bool>("--force", "-f") { Description = "Overwrite an existing, different output file." };
        var includeHidden = new Option<bool>("--include-hidden") { Description = "Include files and folders whose name starts with '.'." };
        var noDate = new Option<bool>("--no-date", "-d") { Description = "Leave out the creation date, so the same input gives the same file." };

        var command = new Command("make", "Make a .torrent from a file or folder and print its infohash.")
        {
            path, announce, pieceLength, isPrivate, comment, webSeeds, output, name, force, includeHidden, noDate,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var request = new MakeRequest(
                parseResult.GetRequiredValue(path),
                parseResult.GetValue(announce) ?? [],
                parseResult.GetValue(pieceLength),
                parseResult.GetValue(isPrivate),
                parseResult.GetValue(comment),
                parseResult.GetValue(webSeeds) ?? [],
                parseResult.GetValue(output),
                parseResult.GetValue(name),
                parseResult.GetValue(force),
                parseResult.GetValue(includeHidden),
                parseResult.GetValue(noDate));
            return RunAsync(request, parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    private sealed record MakeRequest(
        string Path,
        string[] Announce,
        long? PieceLength,
        bool Private,
        string? Comment,
        string[] WebSeeds,
        string? Output,
        string? Name,
        bool Force,
        bool IncludeHidden,
        bool NoDate);

    private static async Task<int> RunAsync(MakeRequest request, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (request.PieceLength is { } given && !TorrentMaker.IsValidPieceLength(given))
        {
            await stderr.WriteLineAsync($"error: --piece-length {given} is not a power of two from 16384 (16 KiB) to 16777216 (16 MiB)");
            return 1;
        }

        foreach (var url in request.Announce.Concat(request.WebSeeds))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                await stderr.WriteLineAsync($"error: '{url}' is not an absolute URL");
                return 1;
            }
        }

        if (!File.Exists(request.Path) && !Directory.Exists(request.Path))
        {
            await stderr.WriteLineAsync($"error: '{request.Path}' does not exist");
            return 1;
        }

        var options = new TorrentMakerOptions
        {
            AnnounceTiers = request.Announce.Select(url => (IReadOnlyList<string>)[url]).ToArray(),
            PieceLength = request.PieceLength,
            Private = request.Private,
            Comment = request.Comment,
            UrlList = request.WebSeeds,
            Name = request.Name,
            IncludeHidden = request.IncludeHidden,
            CreationDate = request.NoDate ? null : DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
        };

        Torrent torrent;
        try
        {
            torrent = await TorrentMaker.CreateAsync(request.Path, options, new StderrProgress(stderr), cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or MetainfoException)
        {
            await stderr.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("error: cancelled");
            return 130;
        }

        var target = request.Output ?? System.IO.Path.Combine(Environment.CurrentDirectory, torrent.Name + ".torrent");
        try
        {
            if (File.Exists(target) && !request.Force && !File.ReadAllBytes(target).AsSpan().SequenceEqual(torrent.EncodedBytes.Span))
            {
                await stderr.WriteLineAsync($"error: '{target}' already exists and differs; use --force to overwrite it");
                return 1;
            }

            WriteAtomically(target, torrent.EncodedBytes.Span);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"error: cannot write '{target}': {ex.Message}");
            return 1;
        }

        await stderr.WriteLineAsync($"wrote {target}: {torrent.Files.Count} file(s), {torrent.TotalLength} bytes, {torrent.PieceCount} pieces of {torrent.PieceLength}");
        await stdout.WriteLineAsync(torrent.InfoHash.ToHex());
        return 0;
    }

    /// <summary>Writes beside the target and renames over it, so a reader never sees half a .torrent.</summary>
    private static void WriteAtomically(string target, ReadOnlySpan<byte> bytes)
    {
        var full = System.IO.Path.GetFullPath(target);
        var temporary = full + $".{Environment.ProcessId}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                stream.Write(bytes);
            }

            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Writes "hashing: N%" to stderr at every tenth of the way.</summary>
    private sealed class StderrProgress(TextWriter stderr) : IProgress<MakeProgress>
    {
        private readonly Lock _gate = new();
        private int _lastTenth = -1;

        public void Report(MakeProgress value)
        {
            var tenth = (int)(value.BytesHashed * 10 / Math.Max(1, value.TotalBytes));
            lock (_gate)
            {
                if (tenth <= _lastTenth)
                {
                    return;
                }

                _lastTenth = tenth;
                stderr.WriteLine($"hashing: {tenth * 10}% ({value.BytesHashed} of {value.TotalBytes} bytes)");
            }
        }
    }
}
