using Xunit;

namespace TorrentActors.Interop.Tests.Tools;

/// <summary>
/// Finds a real client on PATH for an interop test. Missing: the test is skipped with the install
/// hint, except under <c>CI=true</c>, where a missing client fails the run.
/// </summary>
public static class ExternalTool
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns the full path of <paramref name="name"/>, or skips/fails the test.</summary>
    public static string Require(string name, string aptPackage)
    {
        var path = Find(name);
        if (path is not null)
        {
            return path;
        }

        var message = $"{name} is not installed: apt-get install {aptPackage}";
        if (IsCi)
        {
            throw new InvalidOperationException(message + " (required under CI=true)");
        }

        Skip.If(true, message);
        return null!;
    }

    /// <summary>Skips or fails unless <c>/usr/bin/python3</c> can import the libtorrent module.</summary>
    public static string RequireLibtorrentPython()
    {
        const string python = "/usr/bin/python3";
        var ok = File.Exists(python) && Imports(python, "libtorrent");
        if (ok)
        {
            return python;
        }

        const string message = "python3-libtorrent is not installed: apt-get install python3-libtorrent";
        if (IsCi)
        {
            throw new InvalidOperationException(message + " (required under CI=true)");
        }

        Skip.If(true, message);
        return null!;
    }

    public static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            foreach (var candidate in new[] { Path.Combine(dir, name) })
            {
                if (dir.Length > 0 && File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        foreach (var extra in new[] { "/usr/bin", "/usr/sbin", "/usr/local/bin" })
        {
            var candidate = Path.Combine(extra, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static bool Imports(string python, string module)
    {
        try
        {
            return TestProcess.Run(python, ["-c", "import " + module], TimeSpan.FromSeconds(30)).ExitCode == 0;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
