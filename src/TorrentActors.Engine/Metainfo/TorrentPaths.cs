namespace TorrentActors.Engine.Metainfo;

/// <summary>
/// Checks names and paths that arrive in metainfo before anything touches the file system:
/// a torrent must never make us read or write outside the folder it was given.
/// </summary>
public static class TorrentPaths
{
    private static readonly HashSet<string> ReservedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "CON", "PRN", "AUX", "NUL",
        "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
        "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    };

    /// <summary>The most components a file's path may have; deeper paths are refused as hostile.</summary>
    public const int MaxComponents = 256;

    /// <summary>Throws <see cref="MetainfoException"/> unless <paramref name="component"/> is a safe single path component.</summary>
    public static void ValidateComponent(string component, string what)
    {
        if (FindProblem(component) is { } problem)
        {
            throw new MetainfoException($"{what} {problem}");
        }
    }

    /// <summary>
    /// Why <paramref name="component"/> is not a safe single path component on the platform the node runs on, or null
    /// when it is.
    /// </summary>
    public static string? FindProblem(string component) => FindProblem(component, OperatingSystem.IsWindows());

    /// <summary>
    /// Why <paramref name="component"/> is not a safe single path component, or null when it is. Everywhere: empty,
    /// <c>.</c> and <c>..</c>, a separator (<c>/</c> or <c>\</c>), a control character (NUL included), more than 255
    /// characters. On <paramref name="windows"/> also a colon (a drive letter or an alternate data stream), the
    /// characters Windows does not allow in a name, a name ending in a dot or space, and the reserved device names
    /// (<c>CON</c>, <c>NUL</c>, <c>COM1</c>...). On Linux and macOS a colon or a device name is an ordinary file name.
    /// </summary>
    public static string? FindProblem(string component, bool windows)
    {
        if (component.Length == 0)
        {
            return "has an empty path component";
        }

        if (component is "." or "..")
        {
            return $"has a '{component}' path component";
        }

        if (component.Contains('/') || component.Contains('\\'))
        {
            return $"has a path separator inside a component: '{Printable(component)}'";
        }

        if (component.Any(char.IsControl))
        {
            return $"has a control character in '{Printable(component)}'";
        }

        if (component.Length > 255)
        {
            return "has a component longer than 255 characters";
        }

        return windows ? FindWindowsProblem(component) : null;
    }

    private static string? FindWindowsProblem(string component)
    {
        var dot = component.IndexOf('.');
        var stem = (dot < 0 ? component : component[..dot]).TrimEnd(' ');
        if (ReservedNames.Contains(stem))
        {
            return $"uses the reserved name '{component}'";
        }

        if (component.Length >= 2 && component[1] == ':' && char.IsAsciiLetter(component[0]))
        {
            return $"looks like an absolute path: '{component}'";
        }

        if (component.IndexOfAny(WindowsForbidden) >= 0)
        {
            return $"has a character Windows does not allow in a name: '{component}'";
        }

        if (component[^1] is '.' or ' ')
        {
            return $"ends in a dot or a space, which Windows drops: '{component}'";
        }

        return null;
    }

    /// <summary>The printable characters a Windows file name may not hold (a colon names a drive or a data stream).</summary>
    private static readonly char[] WindowsForbidden = [':', '<', '>', '"', '|', '?', '*'];

    /// <summary>
    /// Joins <paramref name="components"/> under <paramref name="rootFolder"/> and proves the result stays inside it.
    /// </summary>
    public static string Resolve(string rootFolder, IEnumerable<string> components)
    {
        var root = Path.GetFullPath(rootFolder);
        var parts = components.ToArray();
        foreach (var part in parts)
        {
            ValidateComponent(part, "path");
        }

        var full = Path.GetFullPath(Path.Combine([root, .. parts]));
        var rootWithSeparator = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        if (!full.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new MetainfoException($"path '{string.Join('/', parts)}' resolves outside '{root}'");
        }

        return full;
    }

    private static string Printable(string text) =>
        new(text.Select(c => char.IsControl(c) ? '?' : c).ToArray());
}
