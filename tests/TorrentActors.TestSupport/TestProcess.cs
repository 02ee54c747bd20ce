using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace TorrentActors.TestSupport;

/// <summary>What a program run to its end printed, and its exit code.</summary>
public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// A real program started for a test. Its stdout comes as lines (to read one by one, or all so far), its stderr as
/// text, and both interleaved in one bounded log for diagnostics; waits have deadlines; stdin stays open when asked
/// for; disposing kills the whole process tree and deletes the folders the process owns.
/// </summary>
public class TestProcess : IAsyncDisposable
{
    private const int MaxLogChars = 256 * 1024;

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly StringBuilder _stderr = new();
    private readonly StringBuilder _partialLine = new();
    private readonly List<string> _stdoutLines = [];
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly List<string> _ownedFolders = [];
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;
    private int _disposed;

    protected TestProcess(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, bool keepStdinOpen = false)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
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
        if (!keepStdinOpen)
        {
            _process.StandardInput.Close();
        }

        _stdoutPump = PumpAsync(_process.StandardOutput, isStdout: true);
        _stderrPump = PumpAsync(_process.StandardError, isStdout: false);
    }

    /// <summary>Starts <paramref name="fileName"/>; with <paramref name="keepStdinOpen"/> the test writes its stdin.</summary>
    public static TestProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, bool keepStdinOpen = false) =>
        new(fileName, arguments, workingDirectory, environment, keepStdinOpen);

    /// <summary>Runs <paramref name="fileName"/> to its end (killed after <paramref name="timeout"/>, 120 s by default).</summary>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        await using var process = Start(fileName, arguments, workingDirectory);
        var exitCode = await process.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(120));
        return new ProcessResult(exitCode, string.Concat(process.AllStdout.Select(line => line + "\n")), process.Stderr);
    }

    /// <summary>
    /// Runs <paramref name="fileName"/> to its end on the calling thread (for code that cannot await); after
    /// <paramref name="timeout"/> the process tree is killed and <see cref="TimeoutException"/> thrown.
    /// </summary>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} did not finish within {timeout}");
        }

        return new ProcessResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
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

    /// <summary>Every complete stdout line so far.</summary>
    public IReadOnlyList<string> AllStdout
    {
        get
        {
            lock (_stdoutLines)
            {
                return _stdoutLines.ToList();
            }
        }
    }

    /// <summary>Everything written to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>A folder deleted when this process is disposed (after the process is gone).</summary>
    protected void Own(string folder) => _ownedFolders.Add(folder);

    public async Task SendAsync(string line)
    {
        await _process.StandardInput.WriteAsync(line + "\n");
        await _process.StandardInput.FlushAsync();
    }

    public async Task SendBytesAsync(byte[] bytes)
    {
        await _process.StandardInput.BaseStream.WriteAsync(bytes);
        await _process.StandardInput.BaseStream.FlushAsync();
    }

    public void CloseStdin() => _process.StandardInput.Close();

    /// <summary>The next stdout line; fails with the process log when none comes in time.</summary>
    public async Task<string> NextLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            return await _lines.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no stdout line in time; stdout so far: [{string.Join(" | ", AllStdout)}]; stderr:\n{Tail(Stderr)}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the process closed stdout; stdout: [{string.Join(" | ", AllStdout)}]; stderr:\n{Tail(Stderr)}");
        }
    }

    /// <summary>Reads stdout lines until one matches; returns the lines read, the match last.</summary>
    public async Task<List<string>> ReadUntilAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        var lines = new List<string>();
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no matching line; read: [{string.Join(" | ", lines)}]; stderr:\n{Tail(Stderr)}");
            }

            var line = await NextLineAsync(left);
            lines.Add(line);
            if (match(line))
            {
                return lines;
            }
        }
    }

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

    /// <summary>Waits for the process to exit on its own and returns its exit code; fails after the timeout.</summary>
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

        await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(10));
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

    /// <summary>Sends SIGTERM (as a service manager or <c>kill</c> would).</summary>
    public void Terminate() => Signal(15);

    /// <summary>The command line and the captured log, for assertion messages.</summary>
    public string Describe() => $"$ {CommandLine}\n{Tail(Output)}";

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
            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Already gone between the check and the kill.
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException)
        {
            Console.Error.WriteLine($"process {_process.Id} did not finish within 20 s of being killed");
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

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];

    private async Task PumpAsync(StreamReader reader, bool isStdout)
    {
        // Raw blocks rather than lines: progress output often ends with '\r' only.
        var buffer = new char[4096];
        try
        {
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

                Record(buffer.AsSpan(0, read), isStdout);
            }
        }
        finally
        {
            if (isStdout)
            {
                if (_partialLine.Length > 0)
                {
                    AddLine(_partialLine.ToString());
                    _partialLine.Clear();
                }

                _lines.Writer.TryComplete();
            }
        }
    }

    private void Record(ReadOnlySpan<char> block, bool isStdout)
    {
        lock (_log)
        {
            _log.Append(block);
            if (_log.Length > MaxLogChars)
            {
                _log.Remove(0, _log.Length - MaxLogChars / 2);
            }
        }

        if (!isStdout)
        {
            lock (_stderr)
            {
                _stderr.Append(block);
            }

            return;
        }

        foreach (var c in block)
        {
            if (c == '\n')
            {
                AddLine(_partialLine.ToString().TrimEnd('\r'));
                _partialLine.Clear();
            }
            else
            {
                _partialLine.Append(c);
            }
        }
    }

    private void AddLine(string line)
    {
        lock (_stdoutLines)
        {
            _stdoutLines.Add(line);
        }

        _lines.Writer.TryWrite(line);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
