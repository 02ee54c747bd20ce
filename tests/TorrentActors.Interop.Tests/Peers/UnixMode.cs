namespace TorrentActors.Interop.Tests.Peers;

/// <summary>Unix permission bits for files other users (e.g. a tool dropping to 'nobody') must read; nothing on Windows.</summary>
public static class UnixMode
{
    public static void Set(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }
}
