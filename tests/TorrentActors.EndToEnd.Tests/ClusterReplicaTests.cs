using System.Security.Cryptography;
using System.Text.Json;
using TorrentActors.EndToEnd.Tests.Support;
using Xunit;
using Xunit.Abstractions;
using static TorrentActors.EndToEnd.Tests.Support.ClusterMembers;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// Three real node processes on 127.0.0.1 form a cluster: a file seeded on one is held complete by two members, and when
/// a holder is killed with SIGKILL the cluster heals back to two complete copies from the survivor.
/// </summary>
public sealed class ClusterReplicaTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_file_seeded_on_one_of_three_members_is_held_complete_by_two_and_heals_after_a_holder_is_killed()
    {
        using var temp = new TempFolder();
        var data = temp.Combine("data.bin");
        await using (var stream = File.Create(data))
        {
            var block = new byte[1 << 20];
            for (var i = 0; i < 64; i++)
            {
                RandomNumberGenerator.Fill(block);
                await stream.WriteAsync(block);
            }
        }

        var expected = SHA256.HashData(await File.ReadAllBytesAsync(data));
        var ports = Enumerable.Range(0, 3).Select(_ => FreePort.Tcp()).ToArray();
        var one = StartMember(temp, "n1", ports[0], null);
        await using var disposeOne = one.Process;
        await one.Process.WaitForOutputAsync("torrentactors: peers on", Start);
        var two = StartMember(temp, "n2", ports[1], ports[0]);
        await using var disposeTwo = two.Process;
        var three = StartMember(temp, "n3", ports[2], ports[0]);
        await using var disposeThree = three.Process;
        ClusterMember[] all = [one, two, three];
        foreach (var name in new[] { "n1", "n2", "n3" })
        {
            await one.Process.WaitForOutputAsync($"Cluster member {name} at", Start);
        }

        var started = DateTime.UtcNow;
        await one.Process.SendAsync("file:" + data);
        var accepted = await one.Process.ReadUntilAsync(l => l.Contains("\"percent\":100", StringComparison.Ordinal), Start);
        var id = JsonDocument.Parse(accepted[^1]).RootElement.GetProperty("id").GetInt32();

        // Within 30 s two members hold it complete, and node 3 says so.
        await WaitAsync(async () => await StatusOfAsync(three, id) is { } status && CompleteCopies(status) >= 2 && status.GetProperty("replicas").GetProperty("atTarget").GetBoolean(), TimeSpan.FromSeconds(30), "two complete copies", all);
        output.WriteLine($"two complete copies {(DateTime.UtcNow - started).TotalSeconds:F1} s after file:");
        var holder = new[] { two, three }.Single(m => File.Exists(Path.Combine(m.Downloads, "data.bin")) && SHA256.HashData(File.ReadAllBytes(Path.Combine(m.Downloads, "data.bin"))).SequenceEqual(expected));
        var other = holder == two ? three : two;

        // A watcher of the member without a copy sees the replica events; remote status shows the replicas.
        var otherAddress = $"akka.tcp://torrentactors@127.0.0.1:{other.RemotePort}";
        await using var watch = NodeProcess.Start(temp.Path, ["watch", "--node", otherAddress]);
        await watch.WaitForOutputAsync("watching", Start);

        // kill -9 the node that seeds the user's file: the survivor and the third member are back at two complete copies.
        one.Process.Signal(9);
        var killed = DateTime.UtcNow;
        await WaitAsync(
            async () => await StatusOfAsync(other, id) is { } status && !Lists(status, "n1") && CompleteCopies(status) >= 2
                && status.GetProperty("replicas").GetProperty("atTarget").GetBoolean()
                && await StatusOfAsync(holder, id) is { } seen && !Lists(seen, "n1") && CompleteCopies(seen) >= 2,
            TimeSpan.FromSeconds(60),
            "healed to two complete copies",
            two,
            three);
        output.WriteLine($"healed {(DateTime.UtcNow - killed).TotalSeconds:F1} s after kill -9");
        Assert.Equal(expected, SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(other.Downloads, "data.bin"))));
        Assert.True(File.Exists(data));

        await watch.WaitUntilAsync(() => watch.AllStdout.Any(l => l.StartsWith($"replica: healed {id}:data.bin on {other.Name}", StringComparison.Ordinal)), Start, "the healed event");
        Assert.Contains(watch.AllStdout, l => l.StartsWith($"replica: placed {id}:data.bin on {other.Name}", StringComparison.Ordinal));
        Assert.Contains(watch.AllStdout, l => l.StartsWith($"replica: fetching {id}:data.bin on {other.Name} (from {holder.Name})", StringComparison.Ordinal));
        await using var status = NodeProcess.Start(temp.Path, ["status", "--node", otherAddress, "--long"]);
        status.CloseStdin();
        Assert.Equal(0, await status.WaitForExitAsync(Start));
        var line = Assert.Single(status.AllStdout);
        Assert.Matches($@"^{id}:data\.bin:100 [0-9a-f]{{40}} seeding replicas 2/2 at-target ", line);
        Assert.Contains($"{holder.Name}:100", line, StringComparison.Ordinal);
        Assert.DoesNotContain("n1:", line, StringComparison.Ordinal);
    }
}
