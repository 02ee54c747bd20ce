using System.Diagnostics;
using System.Text;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>
/// A real program started for a test: stdout and stderr go to one bounded in-memory log (for
/// diagnostics and for waiting on progress lines), waits have deadlines, and disposing kills the
/// whole process tree and deletes the folders the process owns.
/// </summary>
public class ExternalProcess : IAsyncDisposable
{
    private const int MaxLogChars = 256 * 1024;

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly List<string> _ownedFolders = [];
    private readonly Task _stdout;
    private readonly Task _stderr;
    private int _disposed;

    protected ExternalProcess(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        CommandLine = fileName + " " + string.Join(' ', info.ArgumentList);
        _process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        _process.StandardInput.Close();
        _stdout = PumpAsync(_process.StandardOutput);
        _stderr = PumpAsync(_process.StandardError);
    }

    public string CommandLine { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Everything the process wrote so far (stdout and stderr interleaved, capped at 256 KiB).</summary>
    public string Output
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>A folder deleted when this process is disposed (after the process is gone).</summary>
    protected void Own(string folder) => _ownedFolders.Add(folder);

    /// <summary>Waits until <paramref name="condition"/> holds; throws with the process log on timeout or early exit.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what, bool allowExit = false)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (condition())
            {
                return;
            }

            if (!allowExit && _process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{Path.GetFileName(_process.StartInfo.FileName)} exited with {_process.ExitCode} before {what}.\n{Describe()}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}.\n{Describe()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the log contains <paramref name="text"/>.</summary>
    public Task WaitForOutputAsync(string text, TimeSpan timeout) =>
        WaitUntilAsync(() => Output.Contains(text, StringComparison.Ordinal), timeout, $"output \"{text}\"");

    /// <summary>Waits until <paramref name="path"/> exists with <paramref name="length"/> bytes and equals <paramref name="expectedContent"/> when given.</summary>
    public Task WaitForFileAsync(string path, long length, TimeSpan timeout, string? expectedContent = null) =>
        WaitUntilAsync(() => FileIsComplete(path, length, expectedContent), timeout, $"{path} to hold {length} bytes");

    /// <summary>Waits for the process to exit on its own and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for exit.\n{Describe()}");
        }

        await Task.WhenAll(_stdout, _stderr).WaitAsync(TimeSpan.FromSeconds(10));
        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal (e.g. SIGHUP = 1) to the process.</summary>
    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed");
        }
    }

    /// <summary>The command line and the captured log, for assertion messages.</summary>
    public string Describe() => $"$ {CommandLine}\n{Output}";

    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (InvalidOperationException)
        {
            // Already gone between the check and the kill.
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"process {_process.Id} did not exit within 20 s of being killed");
        }
        finally
        {
            _process.Dispose();
            foreach (var folder in _ownedFolders)
            {
                TempFolder.TryDelete(folder);
            }
        }

        GC.SuppressFinalize(this);
    }

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

    private async Task PumpAsync(StreamReader reader)
    {
        // Raw blocks rather than lines: progress output often ends with '\r' only.
        var buffer = new char[4096];
        while (true)
        {
            int read;
            try
            {
                read = await reader.ReadAsync(buffer);
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (read == 0)
            {
                return;
            }

            lock (_log)
            {
                _log.Append(buffer, 0, read);
                if (_log.Length > MaxLogChars)
                {
                    _log.Remove(0, _log.Length - MaxLogChars / 2);
                }
            }
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
