namespace TorrentActors.Interop.Tests.Peers;

/// <summary>A BitTorrent client or tracker started for a test (see <see cref="TestProcess"/>), and checks on the files it writes.</summary>
public class ExternalProcess : TestProcess
{
    protected ExternalProcess(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
        : base(fileName, arguments, workingDirectory, environment)
    {
    }

    /// <summary>Waits until <paramref name="path"/> exists with <paramref name="length"/> bytes and equals <paramref name="expectedContent"/> when given.</summary>
    public Task WaitForFileAsync(string path, long length, TimeSpan timeout, string? expectedContent = null) =>
        WaitUntilAsync(() => FileIsComplete(path, length, expectedContent), timeout, $"{path} to hold {length} bytes");

    public static bool FileIsComplete(string path, long length, string? expectedContent = null)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != length)
        {
            return false;
        }

        return expectedContent is null || FilesAreEqual(path, expectedContent);
    }

    public static bool FilesAreEqual(string left, string right)
    {
        using var a = File.OpenRead(left);
        using var b = File.OpenRead(right);
        if (a.Length != b.Length)
        {
            return false;
        }

        var bufferA = new byte[1 << 16];
        var bufferB = new byte[1 << 16];
        while (true)
        {
            var readA = a.ReadAtLeast(bufferA, bufferA.Length, throwOnEndOfStream: false);
            var readB = b.ReadAtLeast(bufferB, bufferB.Length, throwOnEndOfStream: false);
            if (readA != readB || !bufferA.AsSpan(0, readA).SequenceEqual(bufferB.AsSpan(0, readB)))
            {
                return false;
            }

            if (readA == 0)
            {
                return true;
            }
        }
    }
}
