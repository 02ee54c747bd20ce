namespace TorrentActors.Interop.Tests.Peers;

/// <summary>Deterministic pseudo-random test data.</summary>
public static class RandomFile
{
    /// <summary>Writes <paramref name="size"/> bytes drawn from a generator seeded with <paramref name="seed"/>; creates parent folders.</summary>
    public static string Create(string path, long size, int seed = 1)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var random = new Random(seed);
        var buffer = new byte[1 << 20];
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var left = size;
        while (left > 0)
        {
            var chunk = (int)Math.Min(left, buffer.Length);
            random.NextBytes(buffer.AsSpan(0, chunk));
            stream.Write(buffer, 0, chunk);
            left -= chunk;
        }

        return path;
    }
}
