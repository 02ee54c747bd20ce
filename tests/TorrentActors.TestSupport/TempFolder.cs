namespace TorrentActors.TestSupport;

/// <summary>A fresh folder under the system temp folder for one test, deleted with its content on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "ta-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    public string Path { get; }

    /// <summary>A path inside the folder (nothing is created).</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>Creates (if needed) and returns a sub-folder.</summary>
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

    public void Dispose() => TryDelete(Path);

    public override string ToString() => Path;

    /// <summary>
    /// Deletes <paramref name="path"/> and everything in it, first giving its owner back the rights a test took away
    /// from sub-folders; what cannot be deleted is reported on stderr, not thrown.
    /// </summary>
    public static void TryDelete(string path)
    {
        try
        {
            if (!Directory.Exists(path))
            {
                return;
            }

            if (!OperatingSystem.IsWindows())
            {
                foreach (var dir in Directory.EnumerateDirectories(path, "*", SearchOption.AllDirectories))
                {
                    File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }

            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"could not delete {path}: {e.Message}");
        }
    }
}
