namespace TorrentActors.Tracker;

/// <summary>
/// Resolves <c>/torrents/NAME.torrent</c> to a file directly inside the torrent folder. NAME is percent-decoded once
/// and must be a plain file name: no separators ('/', '\'), no leading '.', no control characters or ':', ending in
/// ".torrent"; the resolved path must sit in the folder itself, and links are refused.
/// </summary>
internal sealed class TorrentFiles(string directory)
{
    public const string Prefix = "/torrents/";
    public const int MaxFileSize = 16 * 1024 * 1024;

    private readonly string _root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    /// <summary>The file to serve for a raw (undecoded) request path, or null for 404.</summary>
    public string? Resolve(ReadOnlySpan<char> rawPath)
    {
        if (!rawPath.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        Span<byte> decoded = stackalloc byte[512];
        if (!HttpQuery.TryDecode(rawPath[Prefix.Length..], decoded, out var length) || length is 0 or > 255)
        {
            return null;
        }

        string name;
        try
        {
            name = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(decoded[..length]);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }

        if (!IsSafeName(name))
        {
            return null;
        }

        var full = Path.GetFullPath(Path.Combine(_root, name));
        if (!string.Equals(Path.GetDirectoryName(full), _root, StringComparison.Ordinal))
        {
            return null;
        }

        var info = new FileInfo(full);
        if (!info.Exists || info.LinkTarget is not null || (info.Attributes & FileAttributes.ReparsePoint) != 0 || info.Length > MaxFileSize)
        {
            return null;
        }

        return full;
    }

    internal static bool IsSafeName(string name) =>
        name.Length is > 8 and <= 255
        && name.EndsWith(".torrent", StringComparison.OrdinalIgnoreCase)
        && name[0] != '.'
        && !name.Any(c => c is '/' or '\\' or '\0' || (c == ':' && OperatingSystem.IsWindows()) || char.IsControl(c))
        && !name.Contains("..", StringComparison.Ordinal)
        && string.Equals(Path.GetFileName(name), name, StringComparison.Ordinal);
}
