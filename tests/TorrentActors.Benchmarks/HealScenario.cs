using System.Diagnostics;
using System.Globalization;

namespace TorrentActors.Benchmarks;

/// <summary>
/// <c>heal</c>: three member processes of a cluster (R = 2) on 127.0.0.1. A file of <c>--size-mib N</c> (default 1024)
/// is seeded with <c>file:</c> on member 1; the time until a second member has it complete is the plain 1→1 transfer
/// of this run. Then member 1 is killed with SIGKILL, and the heal is timed until the third member's copy is complete,
/// split into detection (until the third member is given the torrent: it logs <c>Replica placed</c>) and transfer (from
/// there to its copy at 100). The goal for the heal is 60 s.
/// </summary>
public sealed class HealScenario : IScenario
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public string Name => "heal";

    public string Description => "cluster heal after kill -9 of one of three members: detection and transfer, against the 1→1 transfer of the same run";

    public async Task<int> RunAsync(string[] args)
    {
        var sizeMiB = long.Parse(args.SkipWhile(a => a != "--size-mib").Skip(1).FirstOrDefault() ?? "1024", CultureInfo.InvariantCulture);
        var shared = Path.Combine(Path.GetTempPath(), "torrentactors-bench-make");
        Directory.CreateDirectory(shared);
        var data = Path.Combine(shared, $"random-{sizeMiB}m.bin");
        await MakeScenario.EnsureRandomFileAsync(data, sizeMiB * 1024 * 1024);
        MakeScenario.WarmPageCache(data);
        var name = Path.GetFileName(data);
        var folder = Path.Combine(Path.GetTempPath(), "torrentactors-bench-heal");
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        var dll = RestartScenario.NodeDll();
        var ports = new[] { FreePort.Tcp(), FreePort.Tcp(), FreePort.Tcp() };
        var members = new List<TestProcess>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                members.Add(StartMember(dll, folder, i, ports));
                await members[i].WaitUntilAsync(() => members[i].Stderr.Contains("torrentactors: peers on", StringComparison.Ordinal), Timeout, "the banner");
            }

            await members[0].WaitUntilAsync(() => CountOf(members[0].Stderr, "ReplicaActor: Cluster member ") >= 3, Timeout, "three members up");
            var clock = Stopwatch.StartNew();
            await members[0].SendAsync("file:" + data);
            await members[0].ReadUntilAsync(l => l == $"1:{name}:100", Timeout);
            var seeded = clock.Elapsed;
            var first = await FirstAsync(members, m => m.AllStdout.Contains($"1:{name}:100"), [1, 2]);
            var transfer = clock.Elapsed - seeded;
            var third = first == 1 ? 2 : 1;

            members[0].Signal(9);
            var killed = clock.Elapsed;
            await members[third].WaitUntilAsync(() => members[third].Stderr.Contains("Replica placed of torrent 1", StringComparison.Ordinal), Timeout, "the third member placed");
            var placed = clock.Elapsed;
            await members[third].WaitUntilAsync(() => members[third].AllStdout.Contains($"1:{name}:100"), Timeout, "the third member's copy complete");
            var healed = clock.Elapsed;

            var heal = (healed - killed).TotalSeconds;
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"heal, {sizeMiB} MiB, R=2, 3 members: make+seed on member 1 {seeded.TotalSeconds:0.00} s; plain 1->1 transfer to the first holder {transfer.TotalSeconds:0.00} s"));
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"heal after kill -9: {heal:0.00} s = detection {(placed - killed).TotalSeconds:0.00} s + transfer {(healed - placed).TotalSeconds:0.00} s; "
                + $"heal/60 s goal {heal / 60:0.00}; heal transfer / plain 1->1 transfer {(healed - placed).TotalSeconds / transfer.TotalSeconds:0.00}"));
            return 0;
        }
        finally
        {
            foreach (var member in members)
            {
                await member.DisposeAsync();
            }

            Directory.Delete(folder, recursive: true);
        }
    }

    private static int CountOf(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>The first of <paramref name="candidates"/> (indexes) for which <paramref name="done"/> holds.</summary>
    private static async Task<int> FirstAsync(List<TestProcess> members, Func<TestProcess, bool> done, int[] candidates)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var i in candidates)
            {
                if (done(members[i]))
                {
                    return i;
                }
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("no member completed a copy");
    }

    private static TestProcess StartMember(string dll, string folder, int index, int[] ports)
    {
        var name = "n" + (index + 1).ToString(CultureInfo.InvariantCulture);
        var root = Directory.CreateDirectory(Path.Combine(folder, name)).FullName;
        List<string> arguments =
        [
            dll, "--cluster", "--node-name", name, "--remote-port", ports[index].ToString(CultureInfo.InvariantCulture), "--no-tracker", "--listen-port", "0",
            "--torrent-dir", Path.Combine(root, "torrents"), "--download-dir", Path.Combine(root, "downloads"), "--state-dir", Path.Combine(root, "state"),
        ];
        if (index > 0)
        {
            arguments.AddRange(["--seed-node", $"akka.tcp://torrentactors@127.0.0.1:{ports[0]}"]);
        }

        return TestProcess.Start(
            "dotnet",
            arguments,
            root,
            new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            keepStdinOpen: true);
    }
}
