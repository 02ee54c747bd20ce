using System.Security.Cryptography;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Fuzz;

/// <summary>A property of decoded data that must always hold; breaking it is a bug, like a crash.</summary>
public sealed class FuzzInvariantException(string message) : InvalidOperationException(message);

/// <summary>
/// The fuzz target: decodes untrusted bytes as bencode (strict and lenient) and as a .torrent. Only
/// <see cref="BencodeException"/> and <see cref="MetainfoException"/> may come out of the decoders; anything
/// else escapes and is reported as a crash. Whatever decodes is checked against invariants.
/// </summary>
public static class FuzzTarget
{
    private static readonly string ResolveRoot = Path.Combine(Path.GetTempPath(), "torrentactors-fuzz-root");

    /// <summary>What one input did, for the smoke run's summary.</summary>
    public enum Outcome
    {
        Rejected,
        Bencode,
        Torrent,
    }

    public static Outcome Run(ReadOnlySpan<byte> data)
    {
        var bytes = data.ToArray();
        var outcome = Outcome.Rejected;
        try
        {
            var value = BencodeReader.Decode(bytes, BencodeReaderOptions.Strict);
            outcome = Outcome.Bencode;

            // Strict input is canonical, so writing it back must give the same bytes.
            if (!value.Encode().AsSpan().SequenceEqual(bytes))
            {
                throw new FuzzInvariantException("strict decode then encode changed the bytes");
            }
        }
        catch (BencodeException error)
        {
            CheckOffset(error, bytes.Length);
        }

        try
        {
            var lenient = BencodeReader.Decode(bytes, BencodeReaderOptions.Lenient);
            var canonical = lenient.Encode();
            var again = BencodeReader.Decode(canonical, BencodeReaderOptions.Strict);
            if (!again.Encode().AsSpan().SequenceEqual(canonical))
            {
                throw new FuzzInvariantException("re-encoding lenient input is not stable");
            }
        }
        catch (BencodeException error)
        {
            CheckOffset(error, bytes.Length);
        }

        Torrent torrent;
        try
        {
            torrent = Torrent.Parse(bytes);
        }
        catch (Exception error) when (error is BencodeException or MetainfoException)
        {
            return outcome;
        }

        CheckTorrent(torrent);
        return Outcome.Torrent;
    }

    private static void CheckOffset(BencodeException error, int length)
    {
        if (error.Offset < 0 || error.Offset > length)
        {
            throw new FuzzInvariantException($"error offset {error.Offset} outside input of {length} bytes");
        }
    }

    private static void CheckTorrent(Torrent torrent)
    {
        if (!torrent.InfoHash.Span.SequenceEqual(SHA1.HashData(torrent.InfoBytes.Span)))
        {
            throw new FuzzInvariantException("infohash is not the SHA-1 of the info bytes");
        }

        if (torrent.PieceCount < 1 || torrent.TotalLength < 1)
        {
            throw new FuzzInvariantException("a parsed torrent has no pieces or no bytes");
        }

        var last = torrent.GetPieceSize(torrent.PieceCount - 1);
        if (last < 1 || last > torrent.PieceLength)
        {
            throw new FuzzInvariantException($"last piece size {last} outside 1..{torrent.PieceLength}");
        }

        var root = Path.GetFullPath(ResolveRoot) + Path.DirectorySeparatorChar;
        foreach (var file in torrent.Files)
        {
            string resolved;
            try
            {
                resolved = TorrentPaths.Resolve(ResolveRoot, file.PathComponents);
            }
            catch (MetainfoException error)
            {
                throw new FuzzInvariantException($"a file that passed parsing does not resolve: {error.Message}");
            }

            if (!resolved.StartsWith(root, StringComparison.Ordinal))
            {
                throw new FuzzInvariantException($"'{resolved}' is outside the download folder");
            }
        }

        var magnet = MagnetLink.Parse(MagnetLink.FromTorrent(torrent).ToString());
        if (magnet.InfoHash != torrent.InfoHash || magnet.DisplayName != torrent.Name)
        {
            throw new FuzzInvariantException("the torrent's magnet link does not round-trip");
        }
    }
}
