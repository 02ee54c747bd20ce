using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Actors.Writing;

public enum PublishResult
{
    /// <summary>The file was written.</summary>
    Written,

    /// <summary>A file of that name already holds the same torrent (same infohash): left as it is.</summary>
    AlreadyPresent,

    /// <summary>A file of that name holds a different torrent (or not a torrent): left as it is, nothing written.</summary>
    Conflict,
}

/// <summary>
/// Writes <c>DIR/NAME.torrent</c> atomically: a temp file in the same folder, flushed, then moved into place
/// without overwriting. A different torrent already under that name is never replaced.
/// </summary>
public static class TorrentFileStore
{
    public static string PathFor(string directory, Torrent torrent) => Path.Combine(directory, torrent.Name + ".torrent");

    public static PublishResult Publish(string directory, Torrent torrent)
    {
        Directory.CreateDirectory(directory);
        var target = PathFor(directory, torrent);
        if (File.Exists(target))
        {
            return Compare(target, torrent);
        }

        var temp = Path.Combine(directory, $".{torrent.Name}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(torrent.EncodedBytes.Span);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                File.Move(temp, target, overwrite: false);
                return PublishResult.Written;
            }
            catch (IOException) when (File.Exists(target))
            {
                return Compare(target, torrent);
            }
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static PublishResult Compare(string existingPath, Torrent torrent)
    {
        var info = new FileInfo(existingPath);
        if (info.Length > Torrent.MaxFileSize)
        {
            return PublishResult.Conflict;
        }

        var bytes = File.ReadAllBytes(existingPath);
        return Torrent.TryParse(bytes, out var existing, out _) && existing!.InfoHash == torrent.InfoHash
            ? PublishResult.AlreadyPresent
            : PublishResult.Conflict;
    }
}
