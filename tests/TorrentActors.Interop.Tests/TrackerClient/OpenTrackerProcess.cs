using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Trackers;
using TorrentActors.Interop.Tests.Tools;

namespace TorrentActors.Interop.Tests.TrackerClient;

/// <summary>
/// A real opentracker on 127.0.0.1 (HTTP and UDP on one free port), chrooted into a temp folder holding the
/// whitelist of the given infohashes. Killed and cleaned up in <see cref="Dispose"/>.
/// </summary>
internal sealed class OpenTrackerProcess : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    public OpenTrackerProcess(params InfoHash[] whitelist)
    {
        var executable = ExternalTool.Require("opentracker", "opentracker");
        _directory = Directory.CreateTempSubdirectory("opentracker-").FullName;
        var readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var whitelistPath = Path.Combine(_directory, "whitelist.txt");
        File.WriteAllLines(whitelistPath, whitelist.Select(hash => hash.ToHex()));
        if (!OperatingSystem.IsWindows())
        {
            // opentracker drops to nobody inside this chroot: it must be able to enter it and read the whitelist
            File.SetUnixFileMode(_directory, readable);
            File.SetUnixFileMode(whitelistPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        Port = FreePort();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-i", "127.0.0.1", "-p", $"{Port}", "-P", $"{Port}", "-d", _directory, "-w", "/whitelist.txt", "-A", "127.0.0.1" })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("opentracker did not start");
        _process.OutputDataReceived += (_, e) => Log(e.Data);
        _process.ErrorDataReceived += (_, e) => Log(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilListening();
        WaitUntilWhitelistLoaded(whitelist[0]);
    }

    public int Port { get; }

    public Uri HttpAnnounce => new($"http://127.0.0.1:{Port}/announce");

    public Uri UdpAnnounce => new($"udp://127.0.0.1:{Port}/announce");

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        finally
        {
            _process.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static void Log(string? line)
    {
        if (line is not null)
        {
            Console.Error.WriteLine($"[opentracker] {line}");
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>
    /// opentracker opens its ports before it has read the whitelist: until then it refuses every torrent. Probe with
    /// a regular announce until the first whitelisted torrent is accepted, then take the probe peer away with 'stopped'
    /// (a 'stopped' announce alone is not checked against the whitelist).
    /// </summary>
    private void WaitUntilWhitelistLoaded(InfoHash probe)
    {
        var client = new HttpTrackerClient { Timeout = TimeSpan.FromSeconds(10) };
        var request = new AnnounceRequest(probe, System.Text.Encoding.ASCII.GetBytes("-TA0001-whitelistprb"), 1, 0, 0, 0, AnnounceEvent.None);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                client.AnnounceAsync(HttpAnnounce, request, CancellationToken.None).GetAwaiter().GetResult();
                client.AnnounceAsync(HttpAnnounce, request with { Event = AnnounceEvent.Stopped }, CancellationToken.None).GetAwaiter().GetResult();
                return;
            }
            catch (TrackerException e) when (e.IsTrackerFailure && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50); // polling for the whitelist to load, bounded by the deadline
            }
        }
    }

    private void WaitUntilListening()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"opentracker exited with code {_process.ExitCode} before listening on {Port}");
            }

            using var probe = new TcpClient();
            try
            {
                probe.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50); // polling for the port to open, bounded by the deadline
            }
        }
    }
}
