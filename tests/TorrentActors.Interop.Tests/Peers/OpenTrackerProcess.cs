using System.Globalization;
using TorrentActors.Engine.Bencoding;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Interop.Tests.Tools;

namespace TorrentActors.Interop.Tests.Peers;

/// <summary>
/// opentracker (Debian's whitelist-only build) on 127.0.0.1, HTTP and UDP on free ports, chrooted into a temp folder
/// that holds <c>whitelist.txt</c>. <see cref="WhitelistAsync"/> rewrites the file and sends SIGHUP, which makes
/// opentracker reload it; the call returns once the tracker accepts the new infohash.
/// </summary>
public sealed class OpenTrackerProcess : ExternalProcess
{
    private readonly HashSet<InfoHash> _whitelist;
    private readonly string _whitelistFile;

    private OpenTrackerProcess(string file, IEnumerable<string> arguments, string folder, int httpPort, int udpPort, HashSet<InfoHash> whitelist)
        : base(file, arguments, folder)
    {
        Folder = folder;
        HttpPort = httpPort;
        UdpPort = udpPort;
        _whitelist = whitelist;
        _whitelistFile = Path.Combine(folder, "whitelist.txt");
        Own(folder);
    }

    public string Folder { get; }

    public int HttpPort { get; }

    public int UdpPort { get; }

    public Uri AnnounceUri => new($"http://127.0.0.1:{HttpPort}/announce");

    public Uri UdpAnnounceUri => new($"udp://127.0.0.1:{UdpPort}/announce");

    public System.Net.IPEndPoint UdpEndPoint => new(System.Net.IPAddress.Loopback, UdpPort);

    /// <summary>Starts opentracker with these infohashes whitelisted and waits until its HTTP port accepts connections.</summary>
    public static async Task<OpenTrackerProcess> StartAsync(IEnumerable<InfoHash>? whitelist = null)
    {
        var file = ExternalTool.Require("opentracker", "opentracker");
        var folder = Directory.CreateTempSubdirectory("ta-ot-").FullName;
        // opentracker drops to 'nobody' and chroots here: the folder and the list must be readable by others.
        UnixMode.Set(folder, (UnixFileMode)0b111_101_101);
        var hashes = new HashSet<InfoHash>(whitelist ?? []);
        WriteWhitelist(Path.Combine(folder, "whitelist.txt"), hashes);
        var httpPort = FreePort.TcpAndUdp();
        var udpPort = FreePort.TcpAndUdp();
        string[] arguments =
        [
            "-i", "127.0.0.1", "-p", httpPort.ToString(CultureInfo.InvariantCulture), "-P", udpPort.ToString(CultureInfo.InvariantCulture),
            "-d", folder, "-w", "/whitelist.txt", "-A", "127.0.0.1",
        ];
        var process = new OpenTrackerProcess(file, arguments, folder, httpPort, udpPort, hashes);
        try
        {
            await Listener.WaitForAsync(httpPort, TimeSpan.FromSeconds(30), process);
            // opentracker opens its ports before it has read the whitelist: wait until it accepts what it was given.
            await process.WaitUntilAcceptedAsync(hashes.ToArray());
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Adds infohashes to the whitelist (rewrite + SIGHUP) and waits until opentracker accepts them.</summary>
    public async Task WhitelistAsync(params InfoHash[] infoHashes)
    {
        lock (_whitelist)
        {
            _whitelist.UnionWith(infoHashes);
            WriteWhitelist(_whitelistFile, _whitelist);
        }

        Signal(1); // SIGHUP: opentracker reloads its access list.
        await WaitUntilAcceptedAsync(infoHashes);
    }

    /// <summary>
    /// Probes with a regular announce until each infohash is accepted, then withdraws the probe peer. A 'stopped'
    /// announce alone proves nothing: opentracker does not check it against the whitelist.
    /// </summary>
    private async Task WaitUntilAcceptedAsync(IReadOnlyList<InfoHash> infoHashes)
    {
        var probePeer = "-TAPROBE-000000000000"u8.ToArray().AsMemory(0, 20);
        foreach (var hash in infoHashes)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
            while (true)
            {
                BDictionary reply = await TrackerProbe.AnnounceAsync(AnnounceUri, hash, probePeer, 1, "started");
                if (reply.GetText("failure reason") is null)
                {
                    await TrackerProbe.AnnounceAsync(AnnounceUri, hash, probePeer, 1, "stopped");
                    break;
                }

                if (HasExited || DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"opentracker did not accept {hash}.\n{Describe()}");
                }

                await Task.Delay(100);
            }
        }
    }

    private static void WriteWhitelist(string path, IEnumerable<InfoHash> hashes)
    {
        var temp = path + ".tmp";
        File.WriteAllLines(temp, hashes.Select(h => h.ToHex()));
        UnixMode.Set(temp, (UnixFileMode)0b110_100_100);
        File.Move(temp, path, overwrite: true);
    }
}
