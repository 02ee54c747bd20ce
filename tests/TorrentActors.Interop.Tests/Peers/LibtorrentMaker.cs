using System.Globalization;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Interop.Tests.Tools;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>
/// libtorrent 2.0's <c>create_torrent</c> with its default flags: a hybrid v1+v2 torrent, whose files each start on a
/// piece boundary, with BEP 47 pad files (<c>attr</c> <c>p</c>, under <c>.pad/</c>) between them.
/// </summary>
public static class LibtorrentMaker
{
    private const string Script = """
        import os, sys
        import libtorrent as lt

        content, output, piece_length = sys.argv[1], sys.argv[2], int(sys.argv[3])
        fs = lt.file_storage()
        lt.add_files(fs, content)
        ct = lt.create_torrent(fs, piece_length)
        lt.set_piece_hashes(ct, os.path.dirname(content))
        with open(output, "wb") as f:
            f.write(lt.bencode(ct.generate()))
        """;

    public static async Task<Torrent> CreateHybridAsync(string contentFolder, string outputTorrent, int pieceLength)
    {
        var python = ExternalTool.RequireLibtorrentPython();
        var result = await TestProcess.RunAsync(python,
            ["-c", Script, Path.TrimEndingDirectorySeparator(contentFolder), outputTorrent, pieceLength.ToString(CultureInfo.InvariantCulture)],
            timeout: TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"libtorrent's create_torrent failed ({result.ExitCode}): {result.Stderr}");
        }

        return Torrent.Load(outputTorrent);
    }
}
