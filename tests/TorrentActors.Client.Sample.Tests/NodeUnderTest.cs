using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace TorrentActors.Client.Sample.Tests;

/// <summary>
/// The built node (<c>src/TorrentActors.Node/bin/CONFIGURATION/net10.0/torrentactors.dll</c>) run as a daemon in a
/// temp folder of its own: <c>run --no-stdin --remote-port 0</c>. Dispose kills it and deletes the folder.
/// </summary>
internal sealed partial class NodeUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private NodeUnderTest(Process process, string folder)
    {
        _process = process;
        Folder = folder;
    }

    public string Folder { get; }

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

    public static NodeUnderTest Start()
    {
        var folder = Directory.CreateTempSubdirectory("ta-client-sample-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            LocateNode(), "run", "--no-stdin", "--remote-port", "0", "--no-tracker", "--listen-port", "0",
            "--torrent-dir", Path.Combine(folder, "torrents"), "--download-dir", Path.Combine(folder, "downloads"),
            "--state-dir", Path.Combine(folder, "state"),
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = new Process { StartInfo = start };
        var node = new NodeUnderTest(process, folder);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (node._stderr)
                {
                    node._stderr.AppendLine(line);
                }
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return node;
    }

    /// <summary>The address the node prints on stderr: <c>torrentactors: remote control at akka.tcp://…</c>.</summary>
    public async Task<string> WaitForRemoteAddressAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            if (RemoteAddress().Match(Stderr) is { Success: true } match)
            {
                return match.Groups["address"].Value;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"the node printed no remote address within {timeout.TotalSeconds} s; stderr:\n{Stderr}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            await _process.WaitForExitAsync(wait.Token);
        }

        _process.Dispose();
        Directory.Delete(Folder, recursive: true);
    }

    private static string LocateNode()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dir = new DirectoryInfo(here);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TorrentActors.sln")))
        {
            dir = dir.Parent;
        }

        var dll = dir is null ? null : Path.Combine(dir.FullName, "src", "TorrentActors.Node", "bin", configuration, "net10.0", "torrentactors.dll");
        return dll is not null && File.Exists(dll) ? dll : throw new FileNotFoundException("build the node first (dotnet build)", dll ?? here);
    }

    [GeneratedRegex(@"remote control at (?<address>akka(\.ssl)?\.tcp://\S+)")]
    private static partial Regex RemoteAddress();
}
