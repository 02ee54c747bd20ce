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

    /// <summary>Why <paramref name="component"/> is not a safe single path component, or null when it is.</summary>
    public static string? FindProblem(string component)
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

        return null;
    }

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
