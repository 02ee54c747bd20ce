using System.CommandLine;
using Microsoft.Extensions.Logging;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Node.Hosting;
using TorrentActors.Tracker;

namespace TorrentActors.Node.Commands;

/// <summary><c>torrentactors tracker</c>: the HTTP + UDP tracker on its own, until SIGINT/SIGTERM.</summary>
internal static class TrackerCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Address to bind (IP literal or localhost)", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "HTTP port (0 = any free port)", DefaultValueFactory = _ => 6969 };
        var udpPort = new Option<int?>("--udp-port") { Description = "UDP (BEP 15) port; defaults to the HTTP port, -1 turns UDP off" };
        var allow = new Option<FileInfo?>("--allow") { Description = "Private mode: file with one hex infohash per line ('#' comments)" };
        var torrentDir = new Option<DirectoryInfo?>("--torrent-dir") { Description = "Serve the .torrent files of this folder at /torrents/NAME.torrent" };
        var noScrapeAll = new Option<bool>("--no-scrape-all") { Description = "Refuse /scrape without info_hash" };
        var interval = new Option<int>("--interval") { Description = "Announce interval in seconds", DefaultValueFactory = _ => 300 };
        var rateLimit = new Option<double>("--rate-limit")
        {
            Description = "Announce/scrape requests per second per client address (0 = unlimited)",
            DefaultValueFactory = _ => 50,
        };

        var limitLoopback = new Option<bool>("--rate-limit-loopback") { Description = "Apply the rate limit to 127.0.0.1/::1 clients too" };

        var command = new Command("tracker", "Run the HTTP and UDP BitTorrent tracker until interrupted.")
        {
            host, port, udpPort, allow, torrentDir, noScrapeAll, interval, rateLimit, limitLoopback,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            IReadOnlySet<InfoHash>? allowList = null;
            if (parse.GetValue(allow) is { } allowFile)
            {
                if (!TryReadAllowList(allowFile, out var hashes, out var error))
                {
                    Console.Error.WriteLine($"error: {error}");
                    return 2;
                }

                allowList = hashes;
            }

            var httpPort = parse.GetValue(port);
            var udp = parse.GetValue(udpPort) ?? httpPort;
            var seconds = parse.GetValue(interval);
            if (seconds < 1)
            {
                Console.Error.WriteLine("error: --interval must be at least 1 second");
                return 2;
            }

            var options = new TrackerOptions
            {
                Host = parse.GetValue(host)!,
                HttpPort = httpPort,
                UdpPort = udp < 0 ? null : udp,
                AllowList = allowList,
                TorrentDirectory = parse.GetValue(torrentDir)?.FullName,
                AllowScrapeAll = !parse.GetValue(noScrapeAll),
                Interval = TimeSpan.FromSeconds(seconds),
                MinInterval = TimeSpan.FromSeconds(Math.Max(1, seconds / 5)),
                RequestsPerSecondPerAddress = parse.GetValue(rateLimit),
                ExemptLoopbackFromRateLimit = !parse.GetValue(limitLoopback),
            };

            // SIGINT/SIGTERM end the run gracefully (exit 0), whoever else listens for them.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
            using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
            void Stop(System.Runtime.InteropServices.PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            cancellationToken = stop.Token;
            // Warnings and errors on stderr, one line each, as the node writes them.
            using var logs = LoggerFactory.Create(logging => logging.AddNodeConsole(LogLevel.Warning));
            TrackerServer tracker;
            try
            {
                tracker = await TrackerServer.StartAsync(options, logs, cancellationToken);
            }
            catch (Exception e) when (e is IOException or ArgumentException or System.Net.Sockets.SocketException)
            {
                Console.Error.WriteLine($"error: could not start the tracker: {e.Message}");
                return 1;
            }

            await using (tracker)
            {
                Console.Error.WriteLine($"tracker: announce {tracker.AnnounceUri}");
                if (tracker.UdpAnnounceUri is { } udpUri)
                {
                    Console.Error.WriteLine($"tracker: announce {udpUri}");
                }

                if (options.TorrentDirectory is not null)
                {
                    Console.Error.WriteLine($"tracker: torrents {tracker.GetTorrentUri("NAME.torrent")}");
                }

                Console.Error.WriteLine(allowList is null ? "tracker: open mode" : $"tracker: private mode, {allowList.Count} torrents allowed");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    Console.Error.WriteLine("tracker: stopping");
                }
            }

            return 0;
        });
        return command;
    }

    internal static bool TryReadAllowList(FileInfo file, out HashSet<InfoHash> hashes, out string error)
    {
        hashes = [];
        error = "";
        if (!file.Exists)
        {
            error = $"allow file {file.FullName} does not exist";
            return false;
        }

        var number = 0;
        foreach (var line in File.ReadLines(file.FullName))
        {
            number++;
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#'))
            {
                continue;
            }

            var token = text.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries)[0];
            if (!InfoHash.TryParseHex(token, out var hash))
            {
                error = $"{file.Name}:{number}: '{token}' is not a 40-digit hex infohash";
                return false;
            }

            hashes.Add(hash);
        }

        return true;
    }
}
