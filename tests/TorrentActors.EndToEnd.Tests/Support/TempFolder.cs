namespace TorrentActors.EndToEnd.Tests.Support;

/// <summary>A temp folder for one test, deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ta-e2e-").FullName;

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public string Folder(string name) => Directory.CreateDirectory(Combine(name)).FullName;

    /// <summary>Writes <paramref name="length"/> random bytes and returns the full path.</summary>
    public string RandomFile(string name, int length)
    {
        var path = Combine(name);
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.Delete(Path, recursive: true);
                return;
            }

            foreach (var dir in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories))
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            Directory.Delete(Path, recursive: true);
        }
    }
}
