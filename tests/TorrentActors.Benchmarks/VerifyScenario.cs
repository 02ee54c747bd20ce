using System.Diagnostics;
using System.Globalization;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Hashing;
using TorrentActors.Engine.Making;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Storage;

namespace TorrentActors.Benchmarks;

/// <summary>
/// <c>verify</c>: checking the data of a complete 1 GiB torrent in the page cache (what a restart does), ours with
/// multi-buffer SHA-1 and one piece at a time, against <c>aria2c -V</c> (check, then exit as a finished seed), best
/// of 3 each, taking turns; and an engine session's start to seeding, with a full check against with resume data
/// (nothing read). Options: <c>--size-mib N</c> (default 1024), <c>--keep</c> to leave the data file
/// (shared with the make scenario).
/// </summary>
public sealed class VerifyScenario : IScenario
{
    private const int Runs = 3;

    public string Name => "verify";

    public string Description => "checking a complete 1 GiB torrent's data: ours (16 pieces at once, and one by one) vs aria2c -V";

    public async Task<int> RunAsync(string[] args)
    {
        var sizeMiB = args.SkipWhile(a => a != "--size-mib").Skip(1).Select(a => long.Parse(a, CultureInfo.InvariantCulture)).FirstOrDefault(1024);
        var keep = args.Contains("--keep");
        var folder = Path.Combine(Path.GetTempPath(), "torrentactors-bench-make");
        Directory.CreateDirectory(folder);
        var data = Path.Combine(folder, $"random-{sizeMiB}m.bin");
        var size = sizeMiB * 1024 * 1024;
        var torrentPath = Path.Combine(folder, "verify.torrent");
        try
        {
            await MakeScenario.EnsureRandomFileAsync(data, size);
            var torrent = await TorrentMaker.CreateAsync(data, new TorrentMakerOptions { PieceLength = 1024 * 1024 });
            await File.WriteAllBytesAsync(torrentPath, torrent.EncodedBytes.ToArray());
            MakeScenario.WarmPageCache(data);
            var cores = Environment.ProcessorCount;
            var lanes = Sha1MultiBuffer.PreferredLaneCount;
            Console.WriteLine($"verify: {size} bytes, {torrent.PieceCount} pieces of 1 MiB, {cores} cores, {lanes} lanes, best of {Runs}");

            var aria2c = MakeScenario.FindTool("aria2c");
            double grouped = double.MaxValue, single = double.MaxValue, theirs = double.MaxValue, fullStart = double.MaxValue, resumedStart = double.MaxValue;
            var resume = await StartToSeedingAsync(torrent, folder, null).ConfigureAwait(false);
            for (var run = 0; run < Runs; run++)
            {
                fullStart = Math.Min(fullStart, (await TimeAsync(() => StartToSeedingAsync(torrent, folder, null)).ConfigureAwait(false)));
                resumedStart = Math.Min(resumedStart, (await TimeAsync(() => StartToSeedingAsync(torrent, folder, resume)).ConfigureAwait(false)));
                grouped = Math.Min(grouped, Time(() => Check(torrent, folder, cores, lanes)));
                single = Math.Min(single, Time(() => Check(torrent, folder, cores, 0)));
                if (aria2c is not null)
                {
                    var watch = Stopwatch.StartNew();
                    var exit = MakeScenario.Run(aria2c, [
                        "--no-conf", "-V", "--seed-time=0", "--dir=" + folder, "--enable-dht=false", "--bt-enable-lpd=false",
                        "--interface=127.0.0.1", "--listen-port=" + FreePort.Tcp().ToString(CultureInfo.InvariantCulture),
                        "--console-log-level=error", "--summary-interval=0", "--allow-overwrite=false", "--bt-tracker-connect-timeout=1",
                        "--bt-stop-timeout=1", torrentPath,
                    ]);
                    theirs = Math.Min(theirs, watch.Elapsed.TotalSeconds);
                    if (exit.Code != 0)
                    {
                        Console.Error.WriteLine($"aria2c -V failed ({exit.Code}): {exit.Stdout} {exit.Stderr}");
                        return 1;
                    }
                }
            }

            Console.WriteLine($"ours, {lanes} at once: {grouped:0.000} s  ({size / grouped / 1e9:0.000} GB/s)");
            Console.WriteLine($"ours, one by one:  {single:0.000} s  ({size / single / 1e9:0.000} GB/s)");
            if (aria2c is null)
            {
                Console.WriteLine("aria2c: not installed (apt-get install aria2); no anchor figure");
            }
            else
            {
                Console.WriteLine($"aria2c -V:         {theirs:0.000} s  ({size / theirs / 1e9:0.000} GB/s, process start to exit)");
                Console.WriteLine($"ratio:             ours/aria2c time = {grouped / theirs:0.00}; one by one/aria2c = {single / theirs:0.00}");
            }

            Console.WriteLine($"session start to seeding: full check {fullStart:0.000} s, with resume data {resumedStart:0.000} s (ratio {resumedStart / fullStart:0.000})");
            return 0;
        }
        finally
        {
            File.Delete(torrentPath);
            File.Delete(Path.Combine(folder, Path.GetFileName(data) + ".aria2"));
            if (!keep)
            {
                File.Delete(data);
            }
        }
    }

    private static void Check(Torrent torrent, string folder, int cores, int lanes)
    {
        using var storage = new TorrentStorage(torrent, folder);
        var have = storage.Verify(cores, lanes, CancellationToken.None);
        if (!have.AllSet)
        {
            throw new InvalidOperationException($"only {have.TrueCount} of {torrent.PieceCount} pieces verified");
        }
    }

    /// <summary>An engine session of <paramref name="torrent"/> from start to seeding; returns the resume data it leaves.</summary>
    private static async Task<ResumeData> StartToSeedingAsync(Torrent torrent, string folder, ResumeData? resume)
    {
        await using var engine = new ClientEngine(new EngineSettings());
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = folder, Resume = resume });
        await session.StartAsync().ConfigureAwait(false);
        if (session.Status.State != TorrentState.Seeding)
        {
            throw new InvalidOperationException($"the session did not seed: {session.Status}");
        }

        return session.CaptureResumeData()!;
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        await action().ConfigureAwait(false);
        return watch.Elapsed.TotalSeconds;
    }

    private static double Time(Action action)
    {
        var watch = Stopwatch.StartNew();
        action();
        return watch.Elapsed.TotalSeconds;
    }
}
