using System.Globalization;
using TorrentActors.Interop.Tests.Tools;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>
/// python3-libtorrent 2.0 (under /usr/bin/python3) seeding or downloading one torrent on 127.0.0.1 (or the address
/// given, such as <c>::1</c>: then it listens, dials and announces over IPv6 only) with DHT, LSD,
/// UPnP and NAT-PMP off and several connections per IP allowed. It prints one line per half second:
/// <c>progress FRACTION state=STATE peers=N down=BYTES/S up=BYTES/S</c>, then <c>finished</c> once it has every piece,
/// and <c>exit</c> when it quits (downloads quit when finished if <c>quitWhenDone</c>). It exits when the test process dies.
/// </summary>
public sealed class LibtorrentProcess : ExternalProcess
{
    private const string Script = """
        import os, sys, time
        import libtorrent as lt

        mode, torrent, save, port, quit_when_done = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "1"
        peers = [p for p in sys.argv[6].split(",") if p] if len(sys.argv) > 6 else []
        address = sys.argv[7] if len(sys.argv) > 7 else "127.0.0.1"
        parent = os.getppid()
        settings = {
            "listen_interfaces": ("[%s]:%d" if ":" in address else "%s:%d") % (address, port),
            "outgoing_interfaces": address,
            "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
            "enable_incoming_utp": False, "enable_outgoing_utp": False,
            "allow_multiple_connections_per_ip": True,
            "alert_mask": lt.alert.category_t.error_notification,
        }
        session = lt.session(settings)
        params = lt.add_torrent_params()
        params.ti = lt.torrent_info(torrent)
        params.save_path = save
        if mode == "seed":
            params.flags |= lt.torrent_flags.seed_mode
        handle = session.add_torrent(params)
        for peer in peers:
            host, p = peer.rsplit(":", 1)
            handle.connect_peer((host.strip("[]"), int(p)))
        announced_finished = False
        while True:
            if os.getppid() != parent:
                break
            status = handle.status()
            print("progress %.4f state=%s peers=%d down=%d up=%d" % (status.progress, status.state, status.num_peers,
                  status.download_rate, status.upload_rate), flush=True)
            for alert in session.pop_alerts():
                print("alert %s" % alert.message(), flush=True)
            if status.is_seeding and not announced_finished:
                announced_finished = True
                print("finished", flush=True)
                if quit_when_done:
                    break
            time.sleep(0.5)
        print("exit", flush=True)
        """;

    private LibtorrentProcess(string python, IEnumerable<string> arguments, int port, string directory, string scriptFolder)
        : base(python, arguments)
    {
        Port = port;
        Directory = directory;
        Own(scriptFolder);
    }

    public int Port { get; }

    public string Directory { get; }

    public bool IsFinished => Output.Contains("\nfinished", StringComparison.Ordinal) || Output.StartsWith("finished", StringComparison.Ordinal);

    /// <summary>Seeds content present under <paramref name="directory"/> (seed mode: no hash check up front).</summary>
    public static LibtorrentProcess Seed(string torrentPath, string directory, int? port = null, IEnumerable<string>? connectTo = null,
        string address = "127.0.0.1") =>
        Start("seed", torrentPath, directory, port, quitWhenDone: false, connectTo, address);

    /// <summary>Downloads into <paramref name="directory"/>; quits after the last piece when <paramref name="quitWhenDone"/>.</summary>
    public static LibtorrentProcess Download(string torrentPath, string directory, bool quitWhenDone = true, int? port = null,
        IEnumerable<string>? connectTo = null, string address = "127.0.0.1") =>
        Start("download", torrentPath, directory, port, quitWhenDone, connectTo, address);

    private static LibtorrentProcess Start(string mode, string torrentPath, string directory, int? port, bool quitWhenDone, IEnumerable<string>? connectTo,
        string address)
    {
        var python = ExternalTool.RequireLibtorrentPython();
        var listen = port ?? FreePort.Tcp();
        var folder = System.IO.Directory.CreateTempSubdirectory("ta-lt-").FullName;
        var script = Path.Combine(folder, "peer.py");
        File.WriteAllText(script, Script);
        string[] arguments =
        [
            "-u", script, mode, torrentPath, directory, listen.ToString(CultureInfo.InvariantCulture), quitWhenDone ? "1" : "0",
            string.Join(',', connectTo ?? []), address,
        ];
        return new LibtorrentProcess(python, arguments, listen, directory, folder);
    }
}
