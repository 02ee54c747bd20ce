using System.Diagnostics;
using System.Globalization;
using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Interop.Tests.Tools;
using Xunit;
using Xunit.Abstractions;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// A node killed with SIGKILL at random moments, ten times, while it makes torrents, downloads from aria2c, seeds,
/// stops and removes, and started again each time on the same folders. Every start must succeed; an ID never changes
/// and is never given twice; what the node confirmed as stopped stays stopped and what it confirmed as removed never
/// comes back; and at the end the download is byte-identical. The random seed is printed; set
/// <c>TORRENTACTORS_CRASH_SEED</c> to replay a run.
/// </summary>
public sealed class CrashPointTests(ITestOutputHelper output)
{
    private const int Rounds = 10;
    private const int DefaultSeed = 20261201;
    private static readonly TimeSpan Budget = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task Ten_SIGKILLs_at_random_moments_never_break_a_start_the_IDs_stopped_or_removed_torrents_or_the_data()
    {
        var aria2c = ExternalTool.Require("aria2c", "aria2");
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TORRENTACTORS_CRASH_SEED"), CultureInfo.InvariantCulture, out var given) ? given : DefaultSeed;
        output.WriteLine($"crash-point loop: seed {seed} (TORRENTACTORS_CRASH_SEED={seed} replays it)");
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        using var temp = new TempFolder();
        var (tracker, announce) = await Swarm.StartTrackerAsync(temp.Folder("tracker"));
        await using var trackerProcess = tracker;
        var source = WriteRandom(temp.Combine("remote", "dl.bin"), 24 * 1024 * 1024, seed);
        var torrent = await Swarm.MakeTorrentAsync(source, announce, temp.Combine("dl.bin.torrent"));
        await using var seeder = await Aria2Seeder.StartAsync(aria2c, torrent, temp.Combine("remote"), uploadLimit: "4M");

        var ids = new Dictionary<string, int>(StringComparer.Ordinal); // every name the node printed, with its ID
        var stopped = new HashSet<int>(); // confirmed (stop:ID done) before a kill
        var removed = new HashSet<int>(); // confirmed (Torrent ID is gone) before a kill
        var maybeStopped = new HashSet<int>(); // stop sent, the kill came before the confirmation
        var maybeRemoved = new HashSet<int>();
        var made = new List<string>();
        var sentAt = new Dictionary<string, int>(StringComparer.Ordinal); // a name sent and not yet printed: the highest ID printed when it was sent
        var log = new List<string>();
        string Context(int round) => $"seed {seed}, round {round}: {string.Join("; ", log)}";
        int HighestId() => ids.Count == 0 ? 0 : ids.Values.Max();

        for (var round = 0; round <= Rounds; round++)
        {
            await using var node = NodeProcess.Start(
                temp.Folder("node"),
                "--torrent-dir", temp.Combine("torrents"), "--download-dir", temp.Combine("downloads"), "--state-dir", temp.Combine("state"),
                "--no-tracker", "--no-remote", "--listen-port", "0");
            var stoppedBefore = stopped.ToHashSet();
            void Sent(string name)
            {
                if (!ids.ContainsKey(name))
                {
                    sentAt.TryAdd(name, HighestId());
                }
            }

            await node.WaitUntilAsync(() => node.Stderr.Contains("torrentactors: peers on", StringComparison.Ordinal), Wait, $"the banner ({Context(round)})");
            var expected = ids.Where(pair => !removed.Contains(pair.Value) && !maybeRemoved.Contains(pair.Value)).Select(pair => $"{pair.Value}:{pair.Key}:-1").ToList();
            await node.WaitUntilAsync(() => expected.All(node.AllStdout.Contains), Wait, $"every registered torrent back ({Context(round)})");

            if (round == Rounds)
            {
                var complete = ids
                    .Where(pair => !removed.Contains(pair.Value) && !maybeRemoved.Contains(pair.Value) && !stopped.Contains(pair.Value) && !maybeStopped.Contains(pair.Value))
                    .Select(pair => $"{pair.Value}:{pair.Key}:100")
                    .ToList();
                Assert.Contains("dl.bin", ids.Keys);
                await node.WaitUntilAsync(() => complete.All(node.AllStdout.Contains), TimeSpan.FromSeconds(90), $"every running torrent at 100 ({Context(round)})");
                Check(node, round);
                Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(temp.Combine("downloads", "dl.bin")));
                Assert.All(made, path => Assert.True(File.Exists(path), $"{path} is gone: removing must never delete the user's data"));
                Assert.True(Protocol.IsClean(node.AllStdout));
                break;
            }

            var until = DateTime.UtcNow + TimeSpan.FromMilliseconds(random.Next(500, 3500));
            var did = new List<string>();
            if (!ids.ContainsKey("dl.bin"))
            {
                Sent("dl.bin");
                await node.SendAsync("torrent:" + torrent);
                did.Add("download");
            }

            var sentStops = new List<int>();
            var sentRemoves = new List<int>();
            for (var step = random.Next(0, 4); step > 0; step--)
            {
                var candidates = made
                    .Select(p => Path.GetFileName(p))
                    .Where(ids.ContainsKey)
                    .Select(name => ids[name])
                    .Where(id => !stopped.Contains(id) && !removed.Contains(id) && !maybeStopped.Contains(id) && !maybeRemoved.Contains(id) && !sentStops.Contains(id) && !sentRemoves.Contains(id))
                    .ToList();
                var pick = candidates.Count == 0 ? 0 : random.Next(3);
                if (pick == 0)
                {
                    var path = WriteRandom(temp.Combine("src", $"m{round}-{step}.bin"), random.Next(256 * 1024, 6 * 1024 * 1024), random.Next());
                    made.Add(path);
                    Sent(Path.GetFileName(path));
                    await node.SendAsync("file:" + path);
                    did.Add("make " + Path.GetFileName(path));
                }
                else
                {
                    var id = candidates[random.Next(candidates.Count)];
                    (pick == 1 ? sentStops : sentRemoves).Add(id);
                    await node.SendAsync((pick == 1 ? "stop:" : "remove:") + id.ToString(CultureInfo.InvariantCulture));
                }

                await Task.Delay(random.Next(0, 400));
            }

            var left = until - DateTime.UtcNow;
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left);
            }

            Assert.False(node.HasExited, $"the node exited by itself ({Context(round)}):\n{node.Stderr}");
            node.Signal(9);
            Assert.Equal(137, await node.WaitForExitAsync(Wait));
            Check(node, round);

            foreach (var id in sentStops)
            {
                var confirmed = node.Stderr.Contains($"stop:{id} done", StringComparison.Ordinal);
                (confirmed ? stopped : maybeStopped).Add(id);
                did.Add($"stop {id} {(confirmed ? "confirmed" : "unconfirmed")}");
            }

            foreach (var id in sentRemoves)
            {
                var confirmed = node.Stderr.Contains($"Torrent {id} is gone", StringComparison.Ordinal);
                (confirmed ? removed : maybeRemoved).Add(id);
                did.Add($"remove {id} {(confirmed ? "confirmed" : "unconfirmed")}");
            }

            var progress = node.AllStdout.LastOrDefault(l => l.Contains(":dl.bin:", StringComparison.Ordinal)) ?? "dl.bin not yet registered";
            log.Add($"{round}: {(did.Count == 0 ? "seed" : string.Join(", ", did))}; killed at {clock.Elapsed.TotalSeconds:0.0} s ({progress})");
            output.WriteLine(log[^1]);

            // Every line of this run against what the node said before: same IDs, new ones never used before, the
            // torrents stopped earlier show no progress, the removed ones nothing at all.
            void Check(NodeProcess run, int at)
            {
                foreach (var line in run.AllStdout.Where(Protocol.IsProgress))
                {
                    var first = line.IndexOf(':', StringComparison.Ordinal);
                    var last = line.LastIndexOf(':');
                    var id = int.Parse(line[..first], CultureInfo.InvariantCulture);
                    var name = line[(first + 1)..last];
                    if (ids.TryGetValue(name, out var known))
                    {
                        Assert.True(known == id, $"{name} was {known} and is now {id} ({Context(at)})");
                    }
                    else
                    {
                        // A new torrent's ID is above every ID printed before its command was sent, and held by no other
                        // torrent. (Its line may come in a later run: a command sent before a kill can have been given
                        // its ID and written to the registry without its line reaching stdout.)
                        var floor = sentAt.TryGetValue(name, out var then) ? then : HighestId();
                        if (id <= floor)
                        {
                            Assert.Fail($"{name} got ID {id}, not above {floor}, the highest ID given before it ({Context(at)}){Tail(run)}");
                        }

                        if (ids.FirstOrDefault(pair => pair.Value == id).Key is { } holder)
                        {
                            Assert.Fail($"{name} got ID {id}, which {holder} holds ({Context(at)}){Tail(run)}");
                        }

                        ids[name] = id;
                        sentAt.Remove(name);
                    }

                    Assert.False(removed.Contains(id), $"removed torrent {id} came back: {line} ({Context(at)})");
                    Assert.False(stoppedBefore.Contains(id) && Protocol.PercentOf(line) != -1, $"stopped torrent {id} runs: {line} ({Context(at)})");
                }
            }
        }

        output.WriteLine($"crash-point loop: {Rounds} rounds in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(clock.Elapsed < Budget, $"the loop took {clock.Elapsed} (budget {Budget})");
    }

    /// <summary>What the run printed last and what it logged as errors or warnings, for a failure message.</summary>
    private static string Tail(NodeProcess run)
    {
        var stdout = run.AllStdout.TakeLast(20);
        var problems = run.Stderr.Split('\n').Where(line => line.Contains(" error ", StringComparison.Ordinal) || line.Contains(" warn", StringComparison.Ordinal)).TakeLast(20);
        return $"\nlast stdout lines:\n{string.Join('\n', stdout)}\nerrors and warnings on stderr:\n{string.Join('\n', problems)}";
    }

    private static string WriteRandom(string path, int length, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
