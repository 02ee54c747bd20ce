using System.Diagnostics;
using System.Text;
using System.Threading.Channels;

namespace TorrentActors.EndToEnd.Tests.Support;

/// <summary>
/// The built <c>torrentactors</c> run as a real process (<c>dotnet torrentactors.dll ...</c>) with stdin, stdout
/// and stderr redirected. Dispose kills the process tree if it is still running.
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _stdout = Channel.CreateUnbounded<string>();
    private readonly List<string> _allStdout = [];
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly Task _stderrPump;

    private NodeProcess(Process process)
    {
        _process = process;
        _stdoutPump = PumpStdoutAsync();
        _stderrPump = PumpStderrAsync();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> AllStdout
    {
        get
        {
            lock (_allStdout)
            {
                return _allStdout.ToList();
            }
        }
    }

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

    /// <summary>Starts the node in <paramref name="workingDirectory"/> with <paramref name="arguments"/>.</summary>
    public static NodeProcess Start(string workingDirectory, params string[] arguments) => Start(workingDirectory, null, arguments);

    /// <summary>
    /// Starts the node as another user (through <c>setpriv</c>, so a test running as root can see what an
    /// unprivileged node sees); <paramref name="setprivPath"/> null runs it as the current user.
    /// </summary>
    public static NodeProcess Start(string workingDirectory, string? setprivPath, params string[] arguments)
    {
        var info = new ProcessStartInfo(setprivPath ?? "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (setprivPath is not null)
        {
            foreach (var argument in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet" })
            {
                info.ArgumentList.Add(argument);
            }

            info.Environment["HOME"] = workingDirectory;
            info.Environment["DOTNET_CLI_HOME"] = workingDirectory;
        }

        info.ArgumentList.Add(NodeBuild.DllPath);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        var process = Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start");
        return new NodeProcess(process);
    }

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

    /// <summary>The next stdout line; fails with the node's stderr when none comes in time.</summary>
    public async Task<string> NextLineAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        try
        {
            return await _stdout.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no stdout line in time; stdout so far: [{string.Join(" | ", AllStdout)}]; stderr:\n{Tail(Stderr)}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the node closed stdout; stdout: [{string.Join(" | ", AllStdout)}]; stderr:\n{Tail(Stderr)}");
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

    /// <summary>Sends SIGTERM (as a service manager or <c>kill</c> would).</summary>
    public void Terminate()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit(10_000);
    }

    /// <summary>Waits for the process to exit and returns its exit code; fails after the timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the node did not exit in time; stderr:\n{Tail(Stderr)}");
        }

        await _stdoutPump;
        await _stderrPump;
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await _stdoutPump;
        await _stderrPump;
        _process.Dispose();
    }

    private static string Tail(string text) => text.Length <= 6000 ? text : text[^6000..];

    private async Task PumpStdoutAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            lock (_allStdout)
            {
                _allStdout.Add(line);
            }

            _stdout.Writer.TryWrite(line);
        }

        _stdout.Writer.TryComplete();
    }

    private async Task PumpStderrAsync()
    {
        while (await _process.StandardError.ReadLineAsync() is { } line)
        {
            lock (_stderr)
            {
                _stderr.AppendLine(line);
            }
        }
    }
}
