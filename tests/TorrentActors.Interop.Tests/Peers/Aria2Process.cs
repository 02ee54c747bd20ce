using System.Globalization;
using TorrentActors.Interop.Tests.Tools;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>
/// aria2c 1.36 as a BitTorrent peer on 127.0.0.1 with DHT, local peer discovery and peer exchange off, so it finds peers only through the tracker or the peers it is given.
/// It stops by itself when the test process dies (<c>--stop-with-process</c>).
/// </summary>
public sealed class Aria2Process : ExternalProcess
{
    private Aria2Process(string aria2c, IEnumerable<string> arguments, int port, string directory)
        : base(aria2c, arguments)
    {
        Port = port;
        Directory = directory;
    }

    /// <summary>The TCP port aria2c listens on for peers.</summary>
    public int Port { get; }

    /// <summary>The download folder (<c>-d</c>): single-file content lands at DIR/NAME, multi-file at DIR/NAME/...</summary>
    public string Directory { get; }

    /// <summary>Seeds content already present under <paramref name="directory"/> without checking it.</summary>
    public static Aria2Process Seed(string torrentPath, string directory, int seedMinutes = 30, int? port = null,
        IEnumerable<string>? extraArguments = null)
    {
        var listen = port ?? FreePort.Tcp();
        var arguments = CommonArguments(listen, directory);
        arguments.AddRange([
            "--bt-seed-unverified=true", "--check-integrity=false", "--seed-ratio=0.0",
            "--seed-time=" + seedMinutes.ToString(CultureInfo.InvariantCulture),
        ]);
        arguments.AddRange(extraArguments ?? []);
        arguments.Add(torrentPath);
        return new Aria2Process(ExternalTool.Require("aria2c", "aria2"), arguments, listen, directory);
    }

    /// <summary>Downloads into <paramref name="directory"/> and exits (0) once complete (<c>--seed-time=0</c>).</summary>
    public static Aria2Process Leech(string torrentPath, string directory, int? port = null, IEnumerable<string>? extraArguments = null)
    {
        var listen = port ?? FreePort.Tcp();
        var arguments = CommonArguments(listen, directory);
        arguments.Add("--seed-time=0");
        arguments.AddRange(extraArguments ?? []);
        arguments.Add(torrentPath);
        return new Aria2Process(ExternalTool.Require("aria2c", "aria2"), arguments, listen, directory);
    }

    private static List<string> CommonArguments(int port, string directory) =>
    [
        "--no-conf", "--interface=127.0.0.1", "--disable-ipv6=true",
        "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false", "--enable-peer-exchange=false",
        "--listen-port=" + port.ToString(CultureInfo.InvariantCulture),
        "--dir=" + directory, "--allow-overwrite=true", "--auto-file-renaming=false", "--file-allocation=none",
        "--summary-interval=1", "--console-log-level=warn", "--enable-color=false",
        "--bt-tracker-connect-timeout=10", "--bt-tracker-timeout=10",
        "--stop-with-process=" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
    ];
}
