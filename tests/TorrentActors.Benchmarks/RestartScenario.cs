using System.Diagnostics;
using System.Globalization;

namespace TorrentActors.Benchmarks;

/// <summary>
/// <c>restart</c>: the built node (<c>dotnet torrentactors.dll</c>) as a process, stopped with SIGTERM and started
/// again on its state folder. (a) One 1 GiB seeded torrent: process start to its <c>100</c> line with its resume
/// data, against a full check of the same data in the same run (the file's modification time moved, so the resume
/// data no longer vouches for it), best of 3 each, the data in the page cache. (b) A node holding 1,000 small seeded
/// torrents: process start until all are back at <c>100</c>, and the process's peak RSS. Options:
/// <c>--size-mib N</c> (default 1024), <c>--torrents N</c> (default 1000), <c>--only big|many</c>, <c>--keep</c>, and
/// <c>--node PATH</c>: the node's <c>torrentactors.dll</c> to run, e.g. one installed with <c>dotnet publish -r RID</c>
/// (ReadyToRun), instead of this checkout's build.
/// </summary>
public sealed class RestartScenario : IScenario
{
    private const int Runs = 3;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public string Name => "restart";

    public string Description => "node restart to seeding: one 1 GiB torrent with resume data vs a full check; 1,000 small torrents (time, peak RSS)";

    public async Task<int> RunAsync(string[] args)
    {
        string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var sizeMiB = long.Parse(Option("--size-mib") ?? "1024", CultureInfo.InvariantCulture);
        var count = int.Parse(Option("--torrents") ?? "1000", CultureInfo.InvariantCulture);
        var only = Option("--only");
        var keep = args.Contains("--keep");
        var dll = Option("--node") is { } given ? Path.GetFullPath(given) : NodeDll();
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("no node at --node", dll);
        }

        Console.WriteLine($"node: {dll}{(IsReadyToRun(dll) ? " (ReadyToRun)" : " (JIT)")}");
        if (only is null or "big")
        {
            await OneBigTorrentAsync(dll, sizeMiB, keep);
        }

        if (only is null or "many")
        {
            await ManySmallTorrentsAsync(dll, count);
        }

        return 0;
    }

    private static async Task OneBigTorrentAsync(string dll, long sizeMiB, bool keep)
    {
        var shared = Path.Combine(Path.GetTempPath(), "torrentactors-bench-make");
        Directory.CreateDirectory(shared);
        var data = Path.Combine(shared, $"random-{sizeMiB}m.bin");
        var size = sizeMiB * 1024 * 1024;
        var folder = NewFolder("big");
        try
        {
            await MakeScenario.EnsureRandomFileAsync(data, size);
            MakeScenario.WarmPageCache(data);
            var name = Path.GetFileName(data);
            await using (var first = StartNode(dll, folder))
            {
                await first.SendAsync("file:" + data);
                await first.ReadUntilAsync(l => l == $"1:{name}:100", Timeout);
                await StopAsync(first);
            }

            double resumed = double.MaxValue, full = double.MaxValue;
            for (var run = 0; run < Runs; run++)
            {
                resumed = Math.Min(resumed, await StartToLinesAsync(dll, folder, [$"1:{name}:100"]));
                File.SetLastWriteTimeUtc(data, File.GetLastWriteTimeUtc(data).AddSeconds(1));
                full = Math.Min(full, await StartToLinesAsync(dll, folder, [$"1:{name}:100"]));
            }

            Console.WriteLine($"restart, one torrent of {size} bytes: process start to 100 with resume data {resumed:0.000} s, "
                + $"with a full check {full:0.000} s (ratio {resumed / full:0.000}; best of {Runs}; goal < 1 s)");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            if (!keep)
            {
                File.Delete(data);
            }
        }
    }

    private static async Task ManySmallTorrentsAsync(string dll, int count)
    {
        var folder = NewFolder("many");
        try
        {
            var files = Directory.CreateDirectory(Path.Combine(folder, "files")).FullName;
            var random = new Random(1000);
            var names = new List<string>();
            for (var i = 1; i <= count; i++)
            {
                var bytes = new byte[random.Next(16 * 1024, 256 * 1024)];
                random.NextBytes(bytes);
                var name = $"small-{i:D4}.bin";
                await File.WriteAllBytesAsync(Path.Combine(files, name), bytes);
                names.Add(name);
            }

            var watch = Stopwatch.StartNew();
            string[] expected;
            await using (var first = StartNode(dll, folder))
            {
                for (var i = 0; i < count; i++)
                {
                    await first.SendAsync("file:" + Path.Combine(files, names[i]));
                }

                // The makes run side by side, so the IDs follow the order they finish in, not the commands'.
                var left = names.ToHashSet(StringComparer.Ordinal);
                await first.ReadUntilAsync(l => l.EndsWith(":100", StringComparison.Ordinal) && left.Remove(l[(l.IndexOf(':') + 1)..l.LastIndexOf(':')]) && left.Count == 0, Timeout);
                await StopAsync(first);
                expected = first.AllStdout.Where(l => l.EndsWith(":100", StringComparison.Ordinal)).ToArray();
            }

            Console.Error.WriteLine($"restart: {count} torrents made and seeded in {watch.Elapsed.TotalSeconds:0.0} s");
            double best = double.MaxValue;
            long peak = 0;
            for (var run = 0; run < Runs; run++)
            {
                var (seconds, rss) = await StartToLinesWithRssAsync(dll, folder, expected);
                if (seconds < best)
                {
                    (best, peak) = (seconds, rss);
                }
            }

            Console.WriteLine($"restart, {count} small seeded torrents: process start until all are at 100 {best:0.000} s, "
                + $"peak RSS {peak / (1024.0 * 1024):0} MiB (best of {Runs}; goal < 5 s)");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<double> StartToLinesAsync(string dll, string folder, IReadOnlyCollection<string> lines) =>
        (await StartToLinesWithRssAsync(dll, folder, lines)).Seconds;

    /// <summary>Starts the node, waits for every one of <paramref name="lines"/>, reads its peak RSS, stops it.</summary>
    private static async Task<(double Seconds, long PeakRss)> StartToLinesWithRssAsync(string dll, string folder, IReadOnlyCollection<string> lines)
    {
        var watch = Stopwatch.StartNew();
        await using var node = StartNode(dll, folder);
        await WaitForAllAsync(node, lines.ToHashSet(StringComparer.Ordinal));
        var seconds = watch.Elapsed.TotalSeconds;
        var rss = PeakRss(node.Id);
        await StopAsync(node);
        return (seconds, rss);
    }

    private static async Task WaitForAllAsync(TestProcess node, HashSet<string> wanted)
    {
        var left = new HashSet<string>(wanted, StringComparer.Ordinal);
        await node.ReadUntilAsync(line => left.Remove(line) && left.Count == 0, Timeout);
    }

    private static TestProcess StartNode(string dll, string folder) =>
        TestProcess.Start(
            "dotnet",
            [
                dll, "--torrent-dir", Path.Combine(folder, "torrents"), "--download-dir", Path.Combine(folder, "downloads"),
                "--state-dir", Path.Combine(folder, "state"), "--no-tracker", "--no-remote", "--listen-port", "0",
            ],
            folder,
            new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            keepStdinOpen: true);

    private static async Task StopAsync(TestProcess node)
    {
        node.Terminate();
        var code = await node.WaitForExitAsync(TimeSpan.FromMinutes(2));
        if (code != 0)
        {
            throw new InvalidOperationException($"the node exited with {code}:\n{node.Describe()}");
        }
    }

    /// <summary>VmHWM (the peak resident set) of process <paramref name="pid"/>, in bytes.</summary>
    private static long PeakRss(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static string NewFolder(string name)
    {
        var folder = Path.Combine(Path.GetTempPath(), "torrentactors-bench-restart-" + name);
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        return Directory.CreateDirectory(folder).FullName;
    }

    /// <summary>True when the assembly carries ReadyToRun code (a managed native header), as <c>dotnet publish</c> of the node makes it.</summary>
    private static bool IsReadyToRun(string dll)
    {
        using var stream = File.OpenRead(dll);
        using var reader = new System.Reflection.PortableExecutable.PEReader(stream);
        return reader.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory.Size > 0;
    }

    /// <summary><c>src/TorrentActors.Node/bin/CONFIGURATION/net10.0/torrentactors.dll</c> of this checkout.</summary>
    internal static string NodeDll()
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var dir = new DirectoryInfo(here);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TorrentActors.sln")))
        {
            dir = dir.Parent;
        }

        var dll = dir is null ? null : Path.Combine(dir.FullName, "src", "TorrentActors.Node", "bin", configuration, "net10.0", "torrentactors.dll");
        return dll is not null && File.Exists(dll) ? dll : throw new FileNotFoundException("build the node first (dotnet build -c " + configuration + ")", dll);
    }
}
