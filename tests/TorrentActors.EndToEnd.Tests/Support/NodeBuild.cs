namespace TorrentActors.EndToEnd.Tests.Support;

/// <summary>Finds the built node: <c>src/TorrentActors.Node/bin/CONFIGURATION/net10.0/torrentactors.dll</c>.</summary>
public static class NodeBuild
{
    private static readonly Lazy<string> Dll = new(Locate);

    public static string DllPath => Dll.Value;

    private static string Locate()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dir = new DirectoryInfo(here);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TorrentActors.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new InvalidOperationException($"no TorrentActors.sln above {here}");
        }

        var dll = Path.Combine(dir.FullName, "src", "TorrentActors.Node", "bin", configuration, "net10.0", "torrentactors.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("build the node first (dotnet build)", dll);
    }
}
