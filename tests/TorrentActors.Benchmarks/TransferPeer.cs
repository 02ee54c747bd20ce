using System.Diagnostics;
using System.Net;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Benchmarks;

/// <summary>
/// Hidden entry point that runs one of our engines in its own process, so a transfer's CPU time and peak RSS
/// are measured per peer: <c>transfer-peer seed|leech TORRENT DIR [--verified] [--peer HOST:PORT]... [--port N]</c>.
/// Prints <c>LISTEN port</c> once listening and <c>DONE seconds</c> when a leech completes (then exits unless --stay).
/// </summary>
public sealed class TransferPeer : IScenario
{
    public string Name => "transfer-peer";

    public string Description => "(internal) one engine in its own process for the transfer scenario";

    public async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 3 || args[0] is not ("seed" or "leech"))
        {
            await Console.Error.WriteLineAsync("usage: transfer-peer seed|leech TORRENT DIR [--verified] [--peer HOST:PORT]... [--port N] [--stay]");
            return 2;
        }

        var seeding = args[0] == "seed";
        var torrent = Torrent.Load(args[1]);
        var directory = args[2];
        var peers = new List<IPEndPoint>();
        var port = 0;
        var verified = false;
        var stay = false;
        for (var i = 3; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--peer":
                    peers.Add(IPEndPoint.Parse(args[++i]));
                    break;
                case "--port":
                    port = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--verified":
                    verified = true;
                    break;
                case "--stay":
                    stay = true;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"unknown argument {args[i]}");
                    return 2;
            }
        }

        var level = Environment.GetEnvironmentVariable("TA_LOG") is { } name && Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(name, true, out var parsed)
            ? parsed
            : Microsoft.Extensions.Logging.LogLevel.Warning;
        await using var engine = new ClientEngine(new EngineSettings { ListenPort = port, MaxConnectionsPerAddress = 64 }, new StderrLogger(level)); // every peer of the swarm is 127.0.0.1
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = directory, DataVerified = verified });
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        session.StatusChanged += (_, status) =>
        {
            if (status.State == TorrentState.Seeding)
            {
                done.TrySetResult();
            }
            else if (status.State == TorrentState.Error)
            {
                done.TrySetException(new IOException(status.Error));
            }
        };
        var clock = Stopwatch.StartNew();
        await session.StartAsync();
        Console.WriteLine($"LISTEN {engine.ListenEndPoint.Port}");
        session.AddPeers(peers);
        var stdinClosed = Task.Run(() => Console.In.ReadToEnd());
        if (Environment.GetEnvironmentVariable("TA_TRACE") == "1")
        {
            // Diagnostics on stderr: where each peer stands twice a second (progress, rates, peers).
            _ = Task.Run(async () =>
            {
                using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
                while (await timer.WaitForNextTickAsync())
                {
                    var s = session.Status;
                    await Console.Error.WriteLineAsync(
                        $"TRACE {clock.Elapsed.TotalSeconds:F1} {args[0]} :{engine.ListenEndPoint.Port} {s.State} {s.Progress * 100:F0}% " +
                        $"down {s.DownloadRate / 1e6:F0} MB/s up {s.UploadRate / 1e6:F0} MB/s peers {s.PeerCount}");
                }
            });
        }

        if (!seeding)
        {
            var finished = await Task.WhenAny(done.Task, stdinClosed);
            if (finished == done.Task)
            {
                await done.Task;
                Console.WriteLine($"DONE {clock.Elapsed.TotalSeconds:F3} uploaded {session.Uploaded}");
            }

            if (!stay)
            {
                return finished == done.Task ? 0 : 1;
            }
        }

        await stdinClosed;
        Console.WriteLine($"EXIT uploaded {session.Uploaded}");
        return 0;
    }
}
