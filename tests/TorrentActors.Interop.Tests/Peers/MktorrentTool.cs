using TorrentActors.Engine.Metainfo;
using TorrentActors.Interop.Tests.Tools;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>Creates .torrent files with mktorrent 1.1 (v1 torrents; infohash matches libtorrent's v1-only torrents).</summary>
public static class MktorrentTool
{
    /// <summary>
    /// Runs <c>mktorrent -l EXP -a ANNOUNCE -t 2 -o OUTPUT PATH</c> and returns the parsed torrent.
    /// <paramref name="contentPath"/> is a file (single-file torrent) or a folder (multi-file torrent).
    /// </summary>
    public static async Task<Torrent> CreateAsync(string contentPath, string outputTorrent, Uri? announce = null,
        int pieceLengthExponent = 18, bool isPrivate = false, TimeSpan? timeout = null)
    {
        var mktorrent = ExternalTool.Require("mktorrent", "mktorrent");
        var arguments = new List<string> { "-l", pieceLengthExponent.ToString(System.Globalization.CultureInfo.InvariantCulture), "-t", "2" };
        if (announce is not null)
        {
            arguments.AddRange(["-a", announce.ToString()]);
        }

        if (isPrivate)
        {
            arguments.Add("-p");
        }

        if (File.Exists(outputTorrent))
        {
            File.Delete(outputTorrent);
        }

        arguments.AddRange(["-o", outputTorrent, contentPath]);
        await using var process = new ToolRun(mktorrent, arguments);
        var exit = await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(120));
        if (exit != 0 || !File.Exists(outputTorrent))
        {
            throw new InvalidOperationException($"mktorrent failed with {exit}.\n{process.Describe()}");
        }

        return Torrent.Load(outputTorrent);
    }

    private sealed class ToolRun(string file, IEnumerable<string> arguments) : ExternalProcess(file, arguments);
}
