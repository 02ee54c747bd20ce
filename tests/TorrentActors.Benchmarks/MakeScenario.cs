using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;

namespace TorrentActors.Benchmarks;

/// <summary>
/// <c>make</c>: our maker against <c>mktorrent -t CORES</c> on a 1 GiB random file in the page cache (best of 5
/// each, same piece length), with the SHA-1 ceiling from <c>openssl speed -evp sha1</c> (one core x cores).
/// Options: <c>--size-mib N</c> (default 1024), <c>--keep</c> to leave the data file for the next run,
/// <c>--workers N</c> to override our hashing threads (default: one per core).
/// </summary>
public sealed partial class MakeScenario : IScenario
{
    private const string Announce = "http://127.0.0.1:6969/announce";
    private const int Runs = 5;

    public string Name => "make";

    public string Description => "torrent maker vs mktorrent -t CORES on a 1 GiB file in page cache, and the SHA-1 ceiling";

    public async Task<int> RunAsync(string[] args)
    {
        var sizeMiB = 1024L;
        var keep = false;
        int? workers = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--size-mib" && i + 1 < args.Length)
            {
                sizeMiB = long.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--workers" && i + 1 < args.Length)
            {
                workers = int.Parse(args[++i], CultureInfo.InvariantCulture);
            }
            else if (args[i] == "--keep")
            {
                keep = true;
            }
        }

        var cores = Environment.ProcessorCount;
        var folder = Path.Combine(Path.GetTempPath(), "torrentactors-bench-make");
        Directory.CreateDirectory(folder);
        var data = Path.Combine(folder, $"random-{sizeMiB}m.bin");
        var size = sizeMiB * 1024 * 1024;
        try
        {
            await EnsureRandomFileAsync(data, size);
            WarmPageCache(data);

            var pieceLength = TorrentMaker.ChoosePieceLength(size);
            var exponent = BitOperations(pieceLength);
            Console.WriteLine($"make: {size} bytes, piece length {pieceLength} (2^{exponent}), {cores} cores, {workers ?? cores} hashing threads, best of {Runs}");

            var options = new TorrentMakerOptions { PieceLength = pieceLength, AnnounceTiers = [[Announce]], Workers = workers };
            var mktorrent = FindTool("mktorrent");
            if (mktorrent is null)
            {
                Console.WriteLine("mktorrent: not installed (apt-get install mktorrent); no anchor figure");
            }

            // Ours and mktorrent take turns, so a slow spell of the machine hits both alike.
            Torrent? ours = null;
            var oursBest = double.MaxValue;
            var oursCpu = double.MaxValue;
            double? theirsBest = null;
            double? theirsCpu = null;
            var output = Path.Combine(folder, "mktorrent.torrent");
            for (var run = 0; run < Runs; run++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                ours = await TorrentMaker.CreateAsync(data, options);
                oursBest = Math.Min(oursBest, watch.Elapsed.TotalSeconds);
                oursCpu = Math.Min(oursCpu, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);

                if (mktorrent is null)
                {
                    continue;
                }

                File.Delete(output);
                string[] mkArgs = ["-t", cores.ToString(CultureInfo.InvariantCulture), "-l", exponent.ToString(CultureInfo.InvariantCulture), "-a", Announce, "-o", output, data];
                var timeTool = File.Exists("/usr/bin/time") ? "/usr/bin/time" : null;
                watch.Restart();
                var exit = timeTool is null ? Run(mktorrent, mkArgs) : Run(timeTool, ["-f", "cpu %U %S", mktorrent, .. mkArgs]);
                var seconds = watch.Elapsed.TotalSeconds;
                if (exit.Code != 0)
                {
                    Console.Error.WriteLine($"mktorrent failed: {exit.Stderr}");
                    return 1;
                }

                if (CpuLine().Match(exit.Stderr) is { Success: true } cpuMatch)
                {
                    var cpuSeconds = double.Parse(cpuMatch.Groups[1].Value, CultureInfo.InvariantCulture) + double.Parse(cpuMatch.Groups[2].Value, CultureInfo.InvariantCulture);
                    theirsCpu = Math.Min(theirsCpu ?? double.MaxValue, cpuSeconds);
                }

                theirsBest = Math.Min(theirsBest ?? double.MaxValue, seconds);
            }

            var hashesMatch = true;
            if (mktorrent is not null)
            {
                var theirs = Torrent.Load(output).InfoHash;
                hashesMatch = theirs == ours!.InfoHash;
                Console.WriteLine($"infohash: ours {ours.InfoHash.ToHex()}, mktorrent {theirs.ToHex()} -> {(hashesMatch ? "equal" : "DIFFERENT")}");
                File.Delete(output);
            }

            var check = await PieceHasher.HashAsync([SourceFile.ForSingle(data)], size, pieceLength, workers ?? cores, null, CancellationToken.None);
            Console.WriteLine($"hashed from a leased map: {check.MappedBytes} of {size} bytes (the rest read into buffers)");

            var ceiling = OpensslSha1BytesPerSecond() * cores;
            var oursRate = size / oursBest;
            Console.WriteLine($"ours:        {oursBest:0.000} s  ({oursRate / 1e9:0.000} GB/s), cpu {oursCpu:0.000} s");
            if (theirsBest is { } best)
            {
                Console.WriteLine($"mktorrent:   {best:0.000} s  ({size / best / 1e9:0.000} GB/s), cpu {(theirsCpu is { } tc ? tc.ToString("0.000", CultureInfo.InvariantCulture) + " s" : "n/a")}");
                Console.WriteLine($"ratio:       ours/mktorrent time = {oursBest / best:0.00} (below 1 means we are faster)");
            }

            if (ceiling is { } c)
            {
                Console.WriteLine($"ceiling:     {c / 1e9:0.000} GB/s  (openssl speed -evp sha1, 16384-byte blocks, x {cores} cores)");
                Console.WriteLine($"of ceiling:  {oursRate / c * 100:0.0} %  (by cpu time: {size / oursCpu / c * cores * 100:0.0} % of one core's rate per core used)");
            }
            else
            {
                Console.WriteLine("ceiling:     openssl not available");
            }

            return hashesMatch ? 0 : 1;
        }
        finally
        {
            if (!keep)
            {
                File.Delete(data);
                if (!Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    Directory.Delete(folder);
                }
            }
        }
    }

    private static int BitOperations(long powerOfTwo) => System.Numerics.BitOperations.Log2((ulong)powerOfTwo);

    internal static async Task EnsureRandomFileAsync(string path, long size)
    {
        if (File.Exists(path) && new FileInfo(path).Length == size)
        {
            return;
        }

        Console.Error.WriteLine($"writing {size} random bytes to {path}");
        var random = new Random(20261124);
        var chunk = new byte[8 * 1024 * 1024];
        await using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.SequentialScan);
        for (long written = 0; written < size; written += chunk.Length)
        {
            random.NextBytes(chunk);
            await stream.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, size - written)));
        }
    }

    internal static void WarmPageCache(string path)
    {
        var buffer = new byte[8 * 1024 * 1024];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        while (stream.Read(buffer) > 0)
        {
        }
    }

    /// <summary>Bytes per second for one core from the 16384-byte column of <c>openssl speed -evp sha1 -seconds 3</c>.</summary>
    internal static double? OpensslSha1BytesPerSecond()
    {
        var openssl = FindTool("openssl");
        if (openssl is null)
        {
            return null;
        }

        var result = Run(openssl, ["speed", "-evp", "sha1", "-seconds", "3"]);
        var match = SpeedLine().Match(result.Stdout);
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * 1000 : null;
    }

    // The row is "sha1  <16> <64> <256> <1024> <8192> <16384>", each figure in 1000s of bytes per second.
    [GeneratedRegex(@"^sha1(?:\s+[\d.]+k){5}\s+([\d.]+)k\s*$", RegexOptions.Multiline)]
    private static partial Regex SpeedLine();

    [GeneratedRegex(@"cpu ([\d.]+) ([\d.]+)")]
    private static partial Regex CpuLine();

    internal static string? FindTool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Where(dir => dir.Length > 0)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);

    internal static (int Code, string Stdout, string Stderr) Run(string file, IReadOnlyList<string> args)
    {
        try
        {
            var result = TestProcess.Run(file, args, TimeSpan.FromMinutes(5));
            return (result.ExitCode, result.Stdout, result.Stderr);
        }
        catch (TimeoutException)
        {
            return (-1, "", "timed out");
        }
    }
}
