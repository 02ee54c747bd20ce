using System.Security.Cryptography;
using System.Text.RegularExpressions;
using TorrentActors.EndToEnd.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static TorrentActors.EndToEnd.Tests.Support.ClusterMembers;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// Real member processes on 127.0.0.1 (R = 2) as the cluster changes: a fourth member joins and takes its share, a
/// member leaves gracefully and hands off first, and the whole cluster is stopped and started again on its state.
/// While torrents move, one member's <c>status</c> is sampled once a second: no torrent is ever below two complete copies.
/// </summary>
public sealed class ClusterMoveTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Move = TimeSpan.FromSeconds(120);

    private const int FileSize = 3 << 20;

    /// <summary>A torrent made with <c>file:</c> on <see cref="Origin"/>, which seeds it in place.</summary>
    private sealed record Seeded(int Id, string InfoHash, string Name, string Origin, byte[] Sha256);

    [Fact]
    public async Task A_fourth_member_takes_its_share_and_the_members_no_longer_chosen_drop_their_copies_without_a_torrent_going_below_two()
    {
        using var temp = new TempFolder();
        var ports = Enumerable.Range(0, 4).Select(_ => FreePort.Tcp()).ToArray();
        var members = await StartThreeAsync(temp, ports);
        await using var disposeOne = members[0].Process;
        await using var disposeTwo = members[1].Process;
        await using var disposeThree = members[2].Process;
        var torrents = await SeedAsync(temp, members, [("a.bin", 0), ("b.bin", 1), ("c.bin", 2), ("d.bin", 0)]);
        string[] three = ["n1", "n2", "n3"];
        var before = torrents.ToDictionary(t => t.Id, t => Best(t.InfoHash, three.Where(n => n != t.Origin)));
        await WaitAsync(
            async () => await StatusAsync(members[1], [.. torrents.Select(t => t.Id)]) is { } status
                && torrents.All(t => AtTarget(status[t.Id]) && CompleteOn(status[t.Id]).SetEquals([t.Origin, before[t.Id]])),
            Move,
            "every torrent complete on its origin and its placed holder",
            members);

        // A name placement gives at least one torrent to: it outscores the current second holder there.
        var newcomer = Enumerable.Range(0, 100).Select(i => i == 0 ? "n4" : $"n4-{i}")
            .First(name => torrents.Any(t => Best(t.InfoHash, [.. three.Where(n => n != t.Origin), name]) == name));
        var taken = torrents.Where(t => Best(t.InfoHash, [.. three.Where(n => n != t.Origin), newcomer]) == newcomer).ToList();
        output.WriteLine($"{newcomer} takes {string.Join(", ", taken.Select(t => $"{t.Name} from {before[t.Id]}"))}");

        var four = StartMember(temp, newcomer, ports[3], ports[0]);
        await using var disposeFour = four.Process;
        ClusterMember[] all = [.. members, four];
        var lowest = await SampleUntilAsync(
            members[1],
            torrents,
            status => taken.All(t => CompleteOn(status[t.Id]).SetEquals([t.Origin, newcomer]) && !Lists(status[t.Id], before[t.Id])
                && !File.Exists(Path.Combine(Member(all, before[t.Id]).Downloads, t.Name))),
            "the newcomer holding its share complete and the members it replaced without their copies",
            all);

        Assert.True(lowest >= 2, $"a torrent fell to {lowest} complete copies during the move\n{Describe(all)}");
        foreach (var t in torrents)
        {
            var copy = Path.Combine(four.Downloads, t.Name);
            if (taken.Contains(t))
            {
                Assert.Equal(t.Sha256, SHA256.HashData(await File.ReadAllBytesAsync(copy)));
            }
            else
            {
                Assert.False(File.Exists(copy), $"{newcomer} holds {t.Name}, which placement did not give it");
                Assert.True(File.Exists(Path.Combine(Member(all, before[t.Id]).Downloads, t.Name)), $"{before[t.Id]} dropped {t.Name}, which it still holds");
            }

            Assert.True(File.Exists(temp.Combine(t.Name)), $"the user's own file {t.Name} was deleted");
        }
    }

    [Fact]
    public async Task A_member_that_leaves_gracefully_hands_its_torrents_off_first_and_exits_0_without_a_torrent_going_below_two()
    {
        using var temp = new TempFolder();
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort.Tcp()).ToArray();
        var members = await StartThreeAsync(temp, ports);
        await using var disposeOne = members[0].Process;
        await using var disposeTwo = members[1].Process;
        await using var disposeThree = members[2].Process;
        var torrents = await SeedAsync(temp, members, [("a.bin", 0), ("b.bin", 1), ("c.bin", 2), ("d.bin", 2)]);
        await WaitAsync(
            async () => await StatusAsync(members[0], [.. torrents.Select(t => t.Id)]) is { } status && torrents.All(t => AtTarget(status[t.Id])),
            Move,
            "every torrent at its target",
            members);

        // n3 seeds two of the files in place and may hold copies of the others: all of it must be on n1 and n2 before it goes.
        var leaver = members[2];
        leaver.Process.Terminate();
        var lowest = await SampleUntilAsync(
            members[0],
            torrents,
            status => torrents.All(t => CompleteOn(status[t.Id]).SetEquals(["n1", "n2"]) && AtTarget(status[t.Id])),
            "every torrent complete on n1 and n2 with the leaver gone",
            members,
            () => leaver.Process.HasExited);

        Assert.Equal(0, await leaver.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(lowest >= 2, $"a torrent fell to {lowest} complete copies while n3 left\n{Describe(members)}");
        Assert.Contains("Node n3 has handed its torrents off", leaver.Process.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Leaving before every torrent was handed off", leaver.Process.Stderr, StringComparison.Ordinal);
        foreach (var t in torrents)
        {
            foreach (var stays in members[..2].Where(m => m.Name != t.Origin))
            {
                Assert.Equal(t.Sha256, SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(stays.Downloads, t.Name))));
            }

            Assert.True(File.Exists(temp.Combine(t.Name)), $"the user's own file {t.Name} was deleted");
        }
    }

    [Fact]
    public async Task A_whole_cluster_stopped_and_started_again_has_its_catalog_and_every_replica_back_without_downloading_complete_copies_again()
    {
        using var temp = new TempFolder();
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort.Tcp()).ToArray();
        var first = await StartThreeAsync(temp, ports);
        await using var disposeOne = first[0].Process;
        await using var disposeTwo = first[1].Process;
        await using var disposeThree = first[2].Process;
        var torrents = await SeedAsync(temp, first, [("a.bin", 0), ("b.bin", 1), ("c.bin", 2)]);
        int[] ids = [.. torrents.Select(t => t.Id)];
        var held = new Dictionary<int, HashSet<string>>();
        await WaitAsync(
            async () =>
            {
                foreach (var member in first)
                {
                    if (await StatusAsync(member, ids) is not { } status || !torrents.All(t => AtTarget(status[t.Id])))
                    {
                        return false;
                    }

                    foreach (var t in torrents)
                    {
                        held[t.Id] = CompleteOn(status[t.Id]);
                    }
                }

                return true;
            },
            Move,
            "every member seeing every torrent at its target",
            first);

        foreach (var member in first)
        {
            member.Process.Terminate();
        }

        foreach (var member in first)
        {
            Assert.Equal(0, await member.Process.WaitForExitAsync(Move));
        }

        // The same names, folders and remote ports: n1 forms the cluster again and the others join it.
        var again = await StartThreeAsync(temp, ports);
        await using var disposeOneAgain = again[0].Process;
        await using var disposeTwoAgain = again[1].Process;
        await using var disposeThreeAgain = again[2].Process;
        await WaitAsync(
            async () =>
            {
                foreach (var member in again)
                {
                    if (await StatusAsync(member, ids) is not { } status || !torrents.All(t => AtTarget(status[t.Id]) && CompleteOn(status[t.Id]).SetEquals(held[t.Id])))
                    {
                        return false;
                    }
                }

                return true;
            },
            Move,
            "every member seeing the same complete copies again",
            again);

        foreach (var t in torrents)
        {
            foreach (var member in again.Where(m => held[t.Id].Contains(m.Name)))
            {
                var started = new Regex($@"Torrent {t.InfoHash} started with (\d+)/(\d+) pieces \((\d+) hashed\)", RegexOptions.IgnoreCase).Matches(member.Process.Stderr);
                Assert.True(started.Count > 0, $"{member.Name} did not start {t.Name}\n{member.Process.Describe()}");
                Assert.All(started, m => Assert.True(m.Groups[1].Value == m.Groups[2].Value && m.Groups[3].Value == "0", $"{member.Name}: {m.Value}"));
                Assert.DoesNotContain($"Replica placed of torrent {t.Id} ({t.Name})", member.Process.Stderr, StringComparison.Ordinal);
            }
        }

        // Each member waited for the others it was last up with: with the same members back placement is what it was,
        // and no member placed (downloaded) a copy of anything.
        foreach (var member in again)
        {
            Assert.Contains("before it fetches any copy", member.Process.Stderr, StringComparison.Ordinal);
            var placed = member.Process.Stderr.Split('\n').Where(l => l.Contains("Replica placed of torrent", StringComparison.Ordinal)).ToList();
            Assert.True(placed.Count == 0, $"{member.Name} placed copies after the restart:\n{string.Join('\n', placed)}");
        }
    }

    /// <summary>
    /// Asks <paramref name="sampler"/> for <c>status</c> once a second until <paramref name="done"/> holds for its
    /// answer; returns the fewest complete copies any torrent had in any answer.
    /// </summary>
    private async Task<int> SampleUntilAsync(
        ClusterMember sampler,
        IReadOnlyList<Seeded> torrents,
        Func<Dictionary<int, System.Text.Json.JsonElement>, bool> done,
        string what,
        ClusterMember[] all,
        Func<bool>? also = null)
    {
        var deadline = DateTime.UtcNow + Move;
        var lowest = int.MaxValue;
        var samples = 0;
        while (true)
        {
            var next = DateTime.UtcNow + TimeSpan.FromSeconds(1);
            if (await StatusAsync(sampler, [.. torrents.Select(t => t.Id)]) is { } status)
            {
                samples++;
                foreach (var t in torrents)
                {
                    var complete = CompleteCopies(status[t.Id]);
                    if (complete < lowest)
                    {
                        lowest = complete;
                    }

                    if (complete < 2)
                    {
                        output.WriteLine($"sample {samples}: {t.Name} at {complete} complete copies: {status[t.Id]}");
                    }
                }

                if (done(status) && (also is null || also()))
                {
                    output.WriteLine($"{samples} samples on {sampler.Name}, at least {lowest} complete copies of each torrent");
                    return lowest;
                }
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not within {Move.TotalSeconds} s\n{Describe(all)}");
            }

            if (next > DateTime.UtcNow)
            {
                await Task.Delay(next - DateTime.UtcNow);
            }
        }
    }

    private static ClusterMember Member(IEnumerable<ClusterMember> members, string name) => members.Single(m => m.Name == name);

    /// <summary>Members n1, n2 and n3 on <paramref name="ports"/>, n2 and n3 joining through n1, once n1 sees all three up.</summary>
    private static async Task<ClusterMember[]> StartThreeAsync(TempFolder temp, int[] ports)
    {
        var members = new List<ClusterMember> { StartMember(temp, "n1", ports[0], null) };
        try
        {
            await members[0].Process.WaitForOutputAsync("torrentactors: peers on", Start);
            members.Add(StartMember(temp, "n2", ports[1], ports[0]));
            members.Add(StartMember(temp, "n3", ports[2], ports[0]));
            foreach (var member in members)
            {
                await WaitForMembersAsync(member, "n1", "n2", "n3");
            }
        }
        catch
        {
            foreach (var member in members)
            {
                await member.Process.DisposeAsync();
            }

            throw;
        }

        return [.. members];
    }

    /// <summary>Writes each random file into the temp folder and seeds it with <c>file:</c> on the member at its index.</summary>
    private static async Task<List<Seeded>> SeedAsync(TempFolder temp, ClusterMember[] members, (string Name, int On)[] files)
    {
        var seeded = new List<Seeded>();
        foreach (var (name, on) in files)
        {
            var path = temp.RandomFile(name, FileSize);
            var (id, hash) = await ClusterMembers.SeedAsync(members[on], path);
            seeded.Add(new Seeded(id, hash, name, members[on].Name, SHA256.HashData(await File.ReadAllBytesAsync(path))));
        }

        return seeded;
    }
}
