using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Benchmarks;

/// <summary>
/// Loopback transfers, each peer in its own process, side by side in one run: one seeder to one leecher of a
/// random file (ours, aria2c, libtorrent), then one seeder to N leechers (ours against aria2c). Time runs from the
/// leechers' start to the last leecher's completion; CPU seconds and peak RSS come from /proc for every process.
/// <c>bench transfer [--size-mib 1024] [--swarm-size-mib 256] [--leechers 8] [--only ours,aria2c,libtorrent] [--no-swarm]</c>
/// </summary>
public sealed class TransferScenario : IScenario
{
    private const string LibtorrentScript = """
        import os, sys, time
        import libtorrent as lt
        mode, torrent, save, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        peers = [p for p in sys.argv[5].split(",") if p] if len(sys.argv) > 5 else []
        s = lt.session({"listen_interfaces": "127.0.0.1:%d" % port, "outgoing_interfaces": "127.0.0.1",
            "enable_dht": False, "enable_lsd": False, "enable_upnp": False, "enable_natpmp": False,
            "enable_incoming_utp": False, "enable_outgoing_utp": False, "allow_multiple_connections_per_ip": True})
        p = lt.add_torrent_params()
        p.ti = lt.torrent_info(torrent)
        p.save_path = save
        if mode == "seed":
            p.flags |= lt.torrent_flags.seed_mode
        h = s.add_torrent(p)
        for peer in peers:
            host, port_text = peer.rsplit(":", 1)
            h.connect_peer((host, int(port_text)))
        print("LISTEN", flush=True)
        while True:
            if mode == "leech" and h.status().is_seeding:
                print("DONE", flush=True)
                break
            time.sleep(0.02)
        """;

    public string Name => "transfer";

    public string Description => "loopback transfer 1 seeder -> 1 leecher (ours, aria2c, libtorrent) and 1 -> N (ours, aria2c)";

    public async Task<int> RunAsync(string[] args)
    {
        var sizeMib = 1024L;
        var swarmMib = 256L;
        var leechers = 8;
        var only = new HashSet<string>(["ours", "aria2c", "libtorrent"]);
        var swarm = true;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--size-mib": sizeMib = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--swarm-size-mib": swarmMib = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--leechers": leechers = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--only": only = args[++i].Split(',').ToHashSet(); break;
                case "--no-swarm": swarm = false; break;
                default:
                    await Console.Error.WriteLineAsync($"unknown argument {args[i]}");
                    return 2;
            }
        }

        var root = Path.Combine(Path.GetTempPath(), "ta-bench-transfer-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(root);
        await using var tracker = await OpenTracker.StartAsync(Path.Combine(root, "tracker"));
        try
        {
            var results = new List<Result>();
            var single = await PrepareAsync(root, "single", sizeMib, tracker);
            foreach (var tool in new[] { "ours", "aria2c", "libtorrent" }.Where(only.Contains))
            {
                results.Add(await RunAsync(tool, single, 1, root));
            }

            if (swarm)
            {
                var many = await PrepareAsync(root, "swarm", swarmMib, tracker);
                foreach (var tool in new[] { "ours", "aria2c" }.Where(only.Contains))
                {
                    results.Add(await RunAsync(tool, many, leechers, root));
                }
            }

            Print(results);
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private sealed record Prepared(string Name, string Content, string TorrentPath, Torrent Torrent);

    private sealed record Sample(string Role, double CpuSeconds, long PeakRssKib);

    private sealed record Result(string Tool, string Case, long Bytes, int Leechers, double Seconds, IReadOnlyList<Sample> Samples);

    private static async Task<Prepared> PrepareAsync(string root, string name, long mib, OpenTracker tracker)
    {
        var seedFolder = Path.Combine(root, name, "seed");
        Directory.CreateDirectory(seedFolder);
        var content = Path.Combine(seedFolder, name + ".bin");
        var buffer = new byte[1 << 20];
        var random = new Random(42);
        await using (var stream = new FileStream(content, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            for (var i = 0; i < mib; i++)
            {
                random.NextBytes(buffer);
                stream.Write(buffer);
            }
        }

        var torrentPath = Path.Combine(root, name, name + ".torrent");
        await RunToEndAsync("mktorrent", ["-l", "18", "-t", "2", "-a", tracker.Announce, "-o", torrentPath, content]);
        var torrent = Torrent.Load(torrentPath);
        await tracker.WhitelistAsync(torrent.InfoHash);
        return new Prepared(name, content, torrentPath, torrent);
    }

    private static async Task<Result> RunAsync(string tool, Prepared prepared, int leecherCount, string root)
    {
        var runFolder = Path.Combine(root, prepared.Name, tool);
        var seedFolder = Path.GetDirectoryName(prepared.Content)!;
        var seederPort = FreePort.Tcp();
        var processes = new List<(string Role, Process Process)>();
        try
        {
            var seeder = Start(tool, seed: true, prepared.TorrentPath, seedFolder, seederPort, []);
            processes.Add(("seeder", seeder));
            await Listener.WaitForAsync(seederPort, TimeSpan.FromSeconds(60), () => seeder.HasExited);
            await Task.Delay(1500); // the seeder registers with the tracker before the clock starts.
            var clock = Stopwatch.StartNew();
            var leechers = new List<Process>();
            for (var i = 0; i < leecherCount; i++)
            {
                var folder = Path.Combine(runFolder, "leech" + i.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(folder);
                var leecher = Start(tool, seed: false, prepared.TorrentPath, folder, FreePort.Tcp(), [$"127.0.0.1:{seederPort}"]);
                leechers.Add(leecher);
                processes.Add(("leecher" + i.ToString(CultureInfo.InvariantCulture), leecher));
            }

            var samples = new Dictionary<Process, (double Cpu, long Rss)>();
            var deadline = TimeSpan.FromMinutes(10);
            while (leechers.Any(l => !l.HasExited))
            {
                foreach (var (_, process) in processes)
                {
                    // Keep the highest values seen: a process about to exit (zombie) reads as zero.
                    if (ReadProc(process.Id) is { } sample)
                    {
                        var before = samples.GetValueOrDefault(process);
                        samples[process] = (Math.Max(before.Cpu, sample.Cpu), Math.Max(before.Rss, sample.Rss));
                    }
                }

                if (clock.Elapsed > deadline)
                {
                    throw new TimeoutException($"{tool} did not finish within {deadline}");
                }

                await Task.Delay(25);
            }

            var seconds = clock.Elapsed.TotalSeconds;
            if (leechers.Any(l => l.ExitCode != 0))
            {
                throw new InvalidOperationException($"{tool}: a leecher exited with {string.Join(",", leechers.Select(l => l.ExitCode))}");
            }

            for (var i = 0; i < leecherCount; i++)
            {
                var copy = Path.Combine(runFolder, "leech" + i.ToString(CultureInfo.InvariantCulture), Path.GetFileName(prepared.Content));
                if (!SameFile(prepared.Content, copy))
                {
                    throw new InvalidOperationException($"{tool}: {copy} differs from the source");
                }
            }

            var list = processes.Select(p => new Sample(p.Role, samples.GetValueOrDefault(p.Process).Cpu, samples.GetValueOrDefault(p.Process).Rss)).ToList();
            var label = leecherCount == 1 ? "1->1" : $"1->{leecherCount}";
            await Console.Error.WriteLineAsync($"{tool} {label} {prepared.Torrent.TotalLength >> 20} MiB: {seconds:F2} s");
            return new Result(tool, label, prepared.Torrent.TotalLength, leecherCount, seconds, list);
        }
        finally
        {
            foreach (var (_, process) in processes)
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync();
                }

                process.Dispose();
            }

            Directory.Delete(runFolder, recursive: true);
        }
    }

    private static Process Start(string tool, bool seed, string torrent, string folder, int port, IReadOnlyList<string> peers)
    {
        var info = tool switch
        {
            "ours" => new ProcessStartInfo(Environment.ProcessPath!),
            "aria2c" => new ProcessStartInfo("aria2c"),
            _ => new ProcessStartInfo("/usr/bin/python3"),
        };
        var arguments = info.ArgumentList;
        switch (tool)
        {
            case "ours":
                if (Environment.ProcessPath!.EndsWith("dotnet", StringComparison.Ordinal))
                {
                    arguments.Add(typeof(TransferScenario).Assembly.Location);
                }

                foreach (var a in new[] { "transfer-peer", seed ? "seed" : "leech", torrent, folder, "--port", port.ToString(CultureInfo.InvariantCulture) })
                {
                    arguments.Add(a);
                }

                if (seed)
                {
                    arguments.Add("--verified");
                }

                break;
            case "aria2c":
                foreach (var a in new[]
                {
                    "--no-conf", "--interface=127.0.0.1", "--disable-ipv6=true", "--enable-dht=false", "--enable-dht6=false",
                    "--bt-enable-lpd=false", "--enable-peer-exchange=false", "--summary-interval=0", "--console-log-level=error",
                    "--listen-port=" + port.ToString(CultureInfo.InvariantCulture), "--dir=" + folder, "--allow-overwrite=true",
                    "--stop-with-process=" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
                })
                {
                    arguments.Add(a);
                }

                if (seed)
                {
                    arguments.Add("--bt-seed-unverified=true");
                    arguments.Add("--check-integrity=false");
                    arguments.Add("--seed-ratio=0.0");
                    arguments.Add("--seed-time=60");
                }
                else
                {
                    arguments.Add("--seed-time=0");
                }

                arguments.Add(torrent);
                break;
            default:
                var script = Path.Combine(Path.GetTempPath(), $"ta-bench-lt-{Environment.ProcessId}.py");
                File.WriteAllText(script, LibtorrentScript);
                foreach (var a in new[] { "-u", script, seed ? "seed" : "leech", torrent, folder, port.ToString(CultureInfo.InvariantCulture), string.Join(',', peers) })
                {
                    arguments.Add(a);
                }

                break;
        }

        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"  [{tool}] {line}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>CPU seconds (utime + stime from /proc/PID/stat) and VmHWM (KiB) of a live process.</summary>
    private static (double Cpu, long Rss)? ReadProc(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            var hwm = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            var rss = hwm is null ? 0 : long.Parse(hwm.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            return (ticks / 100.0, rss);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static void Print(List<Result> results)
    {
        Console.WriteLine("case   tool        MiB  seconds    MB/s  cpu-s(seeder/leechers)  peak-RSS-MiB(seeder/max-leecher)");
        foreach (var r in results)
        {
            var seeder = r.Samples.First(s => s.Role == "seeder");
            var leechers = r.Samples.Where(s => s.Role != "seeder").ToList();
            var mbps = r.Bytes * (double)r.Leechers / 1e6 / r.Seconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{r.Case,-6} {r.Tool,-10} {r.Bytes >> 20,5} {r.Seconds,8:F2} {mbps,7:F1}  {seeder.CpuSeconds,6:F2} / {leechers.Sum(l => l.CpuSeconds),6:F2}        {seeder.PeakRssKib / 1024.0,6:F1} / {leechers.Max(l => l.PeakRssKib) / 1024.0,6:F1}"));
        }

        foreach (var group in results.GroupBy(r => r.Case))
        {
            var ours = group.FirstOrDefault(r => r.Tool == "ours");
            if (ours is null)
            {
                continue;
            }

            foreach (var other in group.Where(r => r.Tool != "ours"))
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"ratio {group.Key} ours/{other.Tool}: time {ours.Seconds / other.Seconds:F2}x"));
            }
        }
    }

    private static bool SameFile(string left, string right)
    {
        if (!File.Exists(right) || new FileInfo(left).Length != new FileInfo(right).Length)
        {
            return false;
        }

        using var a = File.OpenRead(left);
        using var b = File.OpenRead(right);
        var x = new byte[1 << 20];
        var y = new byte[1 << 20];
        while (true)
        {
            var n = a.Read(x);
            b.ReadExactly(y.AsSpan(0, n));
            if (n == 0)
            {
                return true;
            }

            if (!x.AsSpan(0, n).SequenceEqual(y.AsSpan(0, n)))
            {
                return false;
            }
        }
    }

    private static async Task RunToEndAsync(string file, IEnumerable<string> arguments)
    {
        var result = await TestProcess.RunAsync(file, arguments, timeout: TimeSpan.FromMinutes(5));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed: {result.Stdout}{result.Stderr}");
        }
    }

    /// <summary>opentracker (whitelist build) chrooted into a folder that holds its whitelist file.</summary>
    private sealed class OpenTracker : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly string _folder;
        private readonly List<string> _hashes = new();

        private OpenTracker(Process process, string folder, int port)
        {
            _process = process;
            _folder = folder;
            Announce = $"http://127.0.0.1:{port}/announce";
        }

        public string Announce { get; }

        public static async Task<OpenTracker> StartAsync(string folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(Path.Combine(folder, "whitelist.txt"), "");
            if (!OperatingSystem.IsWindows())
            {
                // opentracker drops to 'nobody' inside this chroot: it must be able to read the list.
                File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
                File.SetUnixFileMode(Path.Combine(folder, "whitelist.txt"), (UnixFileMode)0b110_100_100);
            }
            var port = FreePort.Tcp();
            var info = new ProcessStartInfo("opentracker") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-i", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-P", port.ToString(CultureInfo.InvariantCulture), "-d", folder, "-w", "/whitelist.txt", "-A", "127.0.0.1" })
            {
                info.ArgumentList.Add(a);
            }

            var process = Process.Start(info)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            await Listener.WaitForAsync(port, TimeSpan.FromSeconds(60), () => process.HasExited);
            return new OpenTracker(process, folder, port);
        }

        public async Task WhitelistAsync(InfoHash infoHash)
        {
            _hashes.Add(infoHash.ToHex());
            await File.WriteAllLinesAsync(Path.Combine(_folder, "whitelist.txt"), _hashes);
            using var kill = Process.Start("kill", ["-HUP", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            await Task.Delay(500);
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
        }
    }
}
