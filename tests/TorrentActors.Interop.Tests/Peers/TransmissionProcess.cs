using System.Globalization;
using System.Text.Json;
using TorrentActors.Interop.Tests.Tools;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>
/// transmission-cli 3.00 with its own config folder (settings.json binding 127.0.0.1; DHT, LPD, PEX, uTP and port
/// forwarding off). Caution: transmission ignores loopback peers that a tracker hands out; on 127.0.0.1 it only meets
/// peers that dial it, so use it as the side that is dialled (e.g. the seeder). It never exits by itself.
/// </summary>
public sealed class TransmissionProcess : ExternalProcess
{
    private TransmissionProcess(string file, IEnumerable<string> arguments, int port, string directory, string configFolder)
        : base(file, arguments, environment: new Dictionary<string, string> { ["TR_CURL_VERBOSE"] = "0" })
    {
        Port = port;
        Directory = directory;
        DoneMarker = Path.Combine(configFolder, "done");
        Own(configFolder);
    }

    /// <summary>The TCP port transmission listens on for peers.</summary>
    public int Port { get; }

    public string Directory { get; }

    /// <summary>A file the done-script creates when the download completes.</summary>
    public string DoneMarker { get; }

    public bool IsDone => File.Exists(DoneMarker);

    /// <summary>
    /// Seeds content already present under <paramref name="directory"/> (transmission verifies it first).
    /// <paramref name="bindAddressIPv4"/> <c>0.0.0.0</c> (transmission's default) leaves its tracker requests free to go
    /// over IPv6: bound to 127.0.0.1 it pins curl to that address, and an announce to <c>[::1]</c> cannot connect.
    /// </summary>
    public static TransmissionProcess Seed(string torrentPath, string directory, int? port = null, string bindAddressIPv4 = "127.0.0.1") =>
        Start(torrentPath, directory, port, bindAddressIPv4);

    /// <summary>Downloads into <paramref name="directory"/>, then keeps seeding; watch <see cref="IsDone"/> or the file.</summary>
    public static TransmissionProcess Download(string torrentPath, string directory, int? port = null) =>
        Start(torrentPath, directory, port, "127.0.0.1");

    private static TransmissionProcess Start(string torrentPath, string directory, int? port, string bindAddressIPv4)
    {
        var cli = ExternalTool.Require("transmission-cli", "transmission-cli");
        var listen = port ?? FreePort.Tcp();
        var config = System.IO.Directory.CreateTempSubdirectory("ta-tr-").FullName;
        var settings = new Dictionary<string, object>
        {
            ["bind-address-ipv4"] = bindAddressIPv4,
            ["bind-address-ipv6"] = "::1",
            ["dht-enabled"] = false,
            ["lpd-enabled"] = false,
            ["pex-enabled"] = false,
            ["utp-enabled"] = false,
            ["port-forwarding-enabled"] = false,
            ["peer-port"] = listen,
            ["peer-port-random-on-start"] = false,
            ["rpc-enabled"] = false,
            ["download-dir"] = directory,
            ["incomplete-dir-enabled"] = false,
            ["ratio-limit-enabled"] = false,
            ["idle-seeding-limit-enabled"] = false,
            ["speed-limit-down-enabled"] = false,
            ["speed-limit-up-enabled"] = false,
            ["encryption"] = 1,
            ["message-level"] = 2,
        };
        File.WriteAllText(Path.Combine(config, "settings.json"), JsonSerializer.Serialize(settings));
        var doneScript = Path.Combine(config, "done.sh");
        File.WriteAllText(doneScript, $"#!/bin/sh\ntouch '{Path.Combine(config, "done")}'\n");
        UnixMode.Set(doneScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string[] arguments =
        [
            "-g", config, "-w", directory, "-p", listen.ToString(CultureInfo.InvariantCulture),
            "-et", "-M", "-D", "-U", "-f", doneScript, torrentPath,
        ];
        return new TransmissionProcess(cli, arguments, listen, directory, config);
    }
}
