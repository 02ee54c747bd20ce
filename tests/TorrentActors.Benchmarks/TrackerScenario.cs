using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace TorrentActors.Benchmarks;

/// <summary>
/// Our tracker (the `torrentactors tracker` process, so wrk and the server do not share a GC) against opentracker:
/// HTTP announces under wrk (1,000 torrents, 10,000 peers, same threads/connections), UDP announces/s from our own
/// load generator, and RSS growth per tracked peer.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class TrackerScenario : IScenario
{
    private const int Torrents = 1_000;
    private const int Peers = 10_000;
    private const int MemoryPeers = 100_000;

    public string Name => "tracker";

    public string Description => "our tracker vs opentracker: wrk HTTP announces, UDP announces/s, memory per peer";

    public async Task<int> RunAsync(string[] args)
    {
        var duration = args.Length > 0 ? args[0] : "10s";
        var root = FindRepositoryRoot();
        var node = Path.Combine(root, "src", "TorrentActors.Node", "bin", "Release", "net10.0", "torrentactors.dll");
        if (!File.Exists(node))
        {
            Console.Error.WriteLine("bench: building the node in Release");
            Run("dotnet", ["build", Path.Combine(root, "src", "TorrentActors.Node"), "-c", "Release", "-v", "q", "-nologo"], TimeSpan.FromMinutes(10));
        }

        var work = Directory.CreateTempSubdirectory("ta-bench-tracker-").FullName;
        var hashes = Enumerable.Range(0, Torrents).Select(i => Id(0xB1, i)).ToArray();
        var peers = Enumerable.Range(0, Peers).Select(i => Id(0x2D, i)).ToArray();
        var results = new List<string>();
        Process? ours = null;
        Process? theirs = null;
        try
        {
            var ourPort = FreePort.TcpAndUdp();
            ours = Start("dotnet", [node, "tracker", "--port", Str(ourPort), "--udp-port", Str(ourPort), "--rate-limit", "0", "--interval", "1800"], null);
            var otFolder = Path.Combine(work, "ot");
            Directory.CreateDirectory(otFolder);
            File.SetUnixFileMode(work, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(otFolder, (UnixFileMode)0b111_101_101);
            var memoryHashes = Enumerable.Range(0, 100).Select(i => Id(0xC3, i)).ToArray();
            File.WriteAllLines(Path.Combine(otFolder, "whitelist.txt"), hashes.Concat(memoryHashes).Select(Convert.ToHexStringLower));
            File.SetUnixFileMode(Path.Combine(otFolder, "whitelist.txt"), (UnixFileMode)0b110_100_100);
            var otPort = FreePort.TcpAndUdp();
            theirs = Start("opentracker", ["-i", "127.0.0.1", "-p", Str(otPort), "-P", Str(otPort), "-d", otFolder, "-w", "/whitelist.txt", "-A", "127.0.0.1"], otFolder);
            await Listener.WaitForAsync(ourPort, TimeSpan.FromSeconds(60), () => ours.HasExited);
            await Listener.WaitForAsync(otPort, TimeSpan.FromSeconds(60), () => theirs.HasExited);

            // Memory: RSS growth after 100,000 distinct peers (100 torrents x 1,000 peers), announced over UDP.
            var memory = new Dictionary<string, double>();
            foreach (var (name, port, process) in new[] { ("ours", ourPort, ours), ("opentracker", otPort, theirs) })
            {
                var before = Rss(process.Id);
                await UdpFillAsync(new IPEndPoint(IPAddress.Loopback, port), memoryHashes);
                await Task.Delay(500);
                var after = Rss(process.Id);
                memory[name] = (after - before) / (double)MemoryPeers;
                results.Add($"memory {name,-12} RSS +{(after - before) / 1024.0 / 1024.0:0.0} MiB for {MemoryPeers} peers = {memory[name]:0} bytes/peer");
            }

            // The same fill in-process, measured as managed heap after a full collection (no GC budget or runtime in it).
            await using (var inProcess = await TorrentActors.Tracker.TrackerServer.StartAsync(new TorrentActors.Tracker.TrackerOptions
            {
                HttpPort = 0, UdpPort = 0, RequestsPerSecondPerAddress = 0, Interval = TimeSpan.FromMinutes(30),
            }))
            {
                var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
                await UdpFillAsync(inProcess.UdpEndPoint!, memoryHashes);
                var heapAfter = GC.GetTotalMemory(forceFullCollection: true);
                results.Add($"memory ours (GC heap, in-process) +{(heapAfter - heapBefore) / 1024.0 / 1024.0:0.0} MiB for {inProcess.PeerCount} peers = " +
                    $"{(heapAfter - heapBefore) / (double)Math.Max(1, inProcess.PeerCount):0} bytes/peer");
            }

            var script = Path.Combine(work, "announce.lua");
            File.WriteAllText(script, LuaScript(hashes, peers));
            var http = new Dictionary<string, (double Rps, double P99Ms, string Errors)>();
            foreach (var (name, port) in new[] { ("ours", ourPort), ("opentracker", otPort) })
            {
                await CheckAnnounceAsync(port, hashes[0], peers[0]);
                Wrk(script, port, "3s"); // Warm-up (JIT, connection setup), not reported.
                http[name] = Wrk(script, port, duration);
                results.Add($"http   {name,-12} {http[name].Rps,10:0} req/s  p99 {http[name].P99Ms,7:0.00} ms{http[name].Errors}");
            }

            var udp = new Dictionary<string, double>();
            foreach (var (name, port) in new[] { ("ours", ourPort), ("opentracker", otPort) })
            {
                udp[name] = await UdpLoadAsync(new IPEndPoint(IPAddress.Loopback, port), hashes, peers, TimeSpan.FromSeconds(5));
                results.Add($"udp    {name,-12} {udp[name],10:0} announces/s (4 sockets, 8 in flight each)");
            }

            results.Add($"ratio  http req/s ours/opentracker = {http["ours"].Rps / http["opentracker"].Rps:0.00} " +
                $"(opentracker closes the connection after each response; Kestrel keeps it alive)");
            results.Add($"ratio  http p99 ours/opentracker = {http["ours"].P99Ms / http["opentracker"].P99Ms:0.00}");
            results.Add($"ratio  udp announces/s ours/opentracker = {udp["ours"] / udp["opentracker"]:0.00}");
            results.Add($"ratio  bytes/peer ours/opentracker = {memory["ours"] / Math.Max(1, memory["opentracker"]):0.00}");
            Console.WriteLine($"tracker benchmark: wrk -t2 -c64 -d{duration} --latency, {Torrents} torrents, {Peers} peers");
            foreach (var line in results)
            {
                Console.WriteLine(line);
            }

            return 0;
        }
        finally
        {
            foreach (var process in new[] { ours, theirs })
            {
                if (process is { HasExited: false })
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }

                process?.Dispose();
            }

            Directory.Delete(work, recursive: true);
        }
    }

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static byte[] Id(byte prefix, int n)
    {
        var bytes = new byte[20];
        new Random(prefix * 1_000_003 + n).NextBytes(bytes);
        bytes[0] = prefix;
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), n);
        return bytes;
    }

    private static string Encode(byte[] bytes) => string.Concat(bytes.Select(b => "%" + b.ToString("X2", CultureInfo.InvariantCulture)));

    private static string LuaScript(byte[][] hashes, byte[][] peers)
    {
        var lua = new StringBuilder();
        lua.AppendLine("local hashes = {");
        foreach (var h in hashes)
        {
            lua.Append("\"").Append(Encode(h)).AppendLine("\",");
        }

        lua.AppendLine("}\nlocal peers = {");
        foreach (var p in peers)
        {
            lua.Append("\"").Append(Encode(p)).AppendLine("\",");
        }

        lua.AppendLine("}");
        lua.AppendLine("""
            local counter = 0
            function init(args)
              math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
            end
            function request()
              local p = math.random(1, #peers)
              local path = "/announce?info_hash=" .. hashes[math.random(1, #hashes)] .. "&peer_id=" .. peers[p] ..
                "&port=" .. (1024 + p) .. "&uploaded=0&downloaded=0&left=" .. (p % 4) .. "&compact=1&numwant=50&event="
              return wrk.format("GET", path)
            end
            """);
        return lua.ToString();
    }

    private static (double Rps, double P99Ms, string Errors) Wrk(string script, int port, string duration)
    {
        var output = Run("wrk", ["-t2", "-c64", "-d" + duration, "--latency", "-s", script, $"http://127.0.0.1:{port}"], TimeSpan.FromMinutes(5));
        var rps = double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var p99 = P99().Match(output);
        var value = double.Parse(p99.Groups[1].Value, CultureInfo.InvariantCulture);
        var ms = p99.Groups[2].Value switch { "us" => value / 1000, "ms" => value, "s" => value * 1000, _ => value * 60_000 };
        var errors = SocketErrors().Match(output) is { Success: true } e ? $"  (wrk: {e.Value.Trim()})" : "";
        var non2xx = Non2xx().Match(output) is { Success: true } n ? $"  ({n.Value.Trim()})" : "";
        return (rps, ms, errors + non2xx);
    }

    [GeneratedRegex(@"Requests/sec:\s+([0-9.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"99%\s+([0-9.]+)(us|ms|s|m)")]
    private static partial Regex P99();

    [GeneratedRegex(@"Socket errors:[^\n]*")]
    private static partial Regex SocketErrors();

    [GeneratedRegex(@"Non-2xx or 3xx responses:[^\n]*")]
    private static partial Regex Non2xx();

    private static async Task CheckAnnounceAsync(int port, byte[] hash, byte[] peer)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var body = await client.GetStringAsync($"http://127.0.0.1:{port}/announce?info_hash={Encode(hash)}&peer_id={Encode(peer)}&port=1234&left=0&compact=1");
        if (body.Contains("failure reason", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"tracker on {port} refused the benchmark announce: {body}");
        }
    }

    /// <summary>Announces announces/s over 4 sockets, each keeping 8 requests in flight.</summary>
    private static async Task<double> UdpLoadAsync(IPEndPoint server, byte[][] hashes, byte[][] peers, TimeSpan duration)
    {
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var counts = await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            socket.Connect(server);
            var connectionId = await UdpConnectAsync(socket);
            var random = new Random(worker);
            var packet = new byte[98];
            var reply = new byte[4096];
            long answered = 0;
            var inFlight = 0;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                while (inFlight < 8)
                {
                    var p = random.Next(peers.Length);
                    WriteAnnounce(packet, connectionId, random.Next(), hashes[random.Next(hashes.Length)], peers[p], (ushort)(1024 + p), p % 4);
                    await socket.SendAsync(packet);
                    inFlight++;
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    var received = await socket.ReceiveAsync(reply, timeout.Token);
                    inFlight--;
                    if (received >= 20 && BinaryPrimitives.ReadInt32BigEndian(reply) == 1)
                    {
                        answered++;
                    }
                }
                catch (OperationCanceledException)
                {
                    inFlight = 0; // Lost packets: refill the window.
                }
            }

            return answered;
        })));
        var seconds = (Stopwatch.GetTimestamp() - started) / (double)Stopwatch.Frequency;
        return counts.Sum() / seconds;
    }

    /// <summary>Registers 100,000 distinct peers over UDP (one announce each, answered before the next).</summary>
    private static async Task UdpFillAsync(IPEndPoint server, byte[][] hashes)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Connect(server);
        var connectionId = await UdpConnectAsync(socket);
        var packet = new byte[98];
        var reply = new byte[4096];
        var perTorrent = MemoryPeers / hashes.Length;
        for (var i = 0; i < MemoryPeers; i++)
        {
            var peer = Id(0x4D, i);
            WriteAnnounce(packet, connectionId, i, hashes[i / perTorrent], peer, (ushort)(1024 + i % 60000), 1, numWant: 0);
            await socket.SendAsync(packet);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.ReceiveAsync(reply, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // Dropped datagram: that peer is simply missing from the count.
            }
        }
    }

    private static async Task<long> UdpConnectAsync(Socket socket)
    {
        var request = Convert.FromHexString("00000417271019800000000012345678");
        var reply = new byte[64];
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await socket.SendAsync(request);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                var received = await socket.ReceiveAsync(reply, timeout.Token);
                if (received >= 16 && BinaryPrimitives.ReadInt32BigEndian(reply) == 0)
                {
                    return BinaryPrimitives.ReadInt64BigEndian(reply.AsSpan(8));
                }
            }
            catch (OperationCanceledException)
            {
                // Retry.
            }
        }

        throw new InvalidOperationException("UDP tracker did not answer connect");
    }

    private static void WriteAnnounce(byte[] packet, long connectionId, int transactionId, byte[] hash, byte[] peer, ushort port, long left, int numWant = 50)
    {
        BinaryPrimitives.WriteInt64BigEndian(packet, connectionId);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(8), 1);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(12), transactionId);
        hash.CopyTo(packet, 16);
        peer.CopyTo(packet, 36);
        BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(56), 0);
        BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(64), left);
        BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(72), 0);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(80), 0);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(84), 0);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(88), transactionId);
        BinaryPrimitives.WriteInt32BigEndian(packet.AsSpan(92), numWant);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(96), port);
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    private static Process Start(string file, string[] arguments, string? workingDirectory)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? "" };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        process.OutputDataReceived += (_, e) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"[{Path.GetFileName(file)}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static string Run(string file, string[] arguments, TimeSpan timeout)
    {
        var result = TestProcess.Run(file, arguments, timeout);
        return result.ExitCode == 0 ? result.Stdout : throw new InvalidOperationException($"{file} exited with {result.ExitCode}: {result.Stderr}");
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TorrentActors.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("TorrentActors.sln not found above " + AppContext.BaseDirectory);
    }
}
