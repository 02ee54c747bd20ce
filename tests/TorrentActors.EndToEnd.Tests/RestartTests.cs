using Microsoft.Data.Sqlite;
using TorrentActors.EndToEnd.Tests.Support;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// The node's registry lives in the SQLite database of its state folder: real processes stopped with SIGTERM or
/// SIGKILL and started again on the same folders.
/// </summary>
public class RestartTests
{
    private const int StateExitCode = 3;

    private static readonly TimeSpan Exit = TimeSpan.FromSeconds(60);

    private static NodeProcess StartNode(TempFolder temp, string? stateDir = null, string workingDirectory = "node") =>
        NodeProcess.Start(
            temp.Folder(workingDirectory),
            ["--torrent-dir", temp.Combine("torrents"), "--download-dir", temp.Combine("downloads"), "--state-dir", stateDir ?? temp.Combine("state"),
                "--no-tracker", "--remote-port", "0", "--listen-port", "0"]);

    private static Task WaitForBannerAsync(NodeProcess node) => node.WaitForOutputAsync("torrentactors: peers on", Exit);

    /// <summary>Sends <c>file:PATH</c> and waits for the torrent's 100 line; returns its ID.</summary>
    private static async Task<int> SeedAsync(NodeProcess node, string path)
    {
        var name = Path.GetFileName(path);
        await node.SendAsync("file:" + path);
        var lines = await node.ReadUntilAsync(l => l.EndsWith($":{name}:100", StringComparison.Ordinal));
        return int.Parse(lines[^1].Split(':')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task After_SIGTERM_the_node_brings_back_its_torrents_under_the_same_IDs_and_states_and_new_IDs_continue()
    {
        using var temp = new TempFolder();
        var a = temp.RandomFile("a.bin", 300_000);
        var b = temp.RandomFile("b.bin", 200_000);
        var c = temp.RandomFile("c.bin", 100_000);
        var d = temp.RandomFile("d.bin", 50_000);

        await using (var first = StartNode(temp))
        {
            Assert.Equal(1, await SeedAsync(first, a));
            Assert.Equal(2, await SeedAsync(first, b));
            Assert.Equal(3, await SeedAsync(first, c));
            await first.SendAsync("stop:2");
            await first.WaitForOutputAsync("stop:2 done", Exit);
            await first.SendAsync("remove:3");
            await first.WaitForOutputAsync("Torrent 3 is gone", Exit);
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(Exit));
        }

        await using var second = StartNode(temp);
        await WaitForBannerAsync(second);
        Assert.Equal(4, await SeedAsync(second, d));
        var lines = second.AllStdout;
        Assert.Contains("1:a.bin:-1", lines);
        Assert.Contains("1:a.bin:100", lines);
        Assert.Contains("2:b.bin:-1", lines);
        Assert.DoesNotContain("2:b.bin:100", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("3:", StringComparison.Ordinal) || l.Contains(":c.bin:", StringComparison.Ordinal));
        Assert.True(lines.ToList().IndexOf("1:a.bin:-1") < lines.ToList().IndexOf("1:a.bin:100"));

        // Remote control sees the same registry.
        var address = System.Text.RegularExpressions.Regex.Match(second.Stderr, @"remote control at (?<a>akka\.tcp://\S+)").Groups["a"].Value;
        await using (var status = NodeProcess.Start(temp.Path, ["status", "--node", address]))
        {
            status.CloseStdin();
            Assert.Equal(0, await status.WaitForExitAsync(Exit));
            Assert.Equal(["1:a.bin:100", "2:b.bin:-1", "4:d.bin:100"], status.AllStdout.Order(StringComparer.Ordinal));
        }

        // The stopped torrent stayed stopped until told otherwise; the removed one's data is still there.
        await second.SendAsync("start:2");
        await second.ReadUntilAsync(l => l == "2:b.bin:100");
        Assert.True(File.Exists(c));
        Assert.True(Protocol.IsClean(second.AllStdout));
    }

    [Fact]
    public async Task After_a_restart_unchanged_files_seed_from_their_resume_data_without_being_read_and_changed_ones_are_checked()
    {
        using var temp = new TempFolder();
        var kept = temp.RandomFile("kept.bin", 600_000);
        var changed = temp.RandomFile("changed.bin", 600_000);

        await using (var first = StartNode(temp))
        {
            Assert.Equal(1, await SeedAsync(first, kept));
            Assert.Equal(2, await SeedAsync(first, changed));
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(Exit));
        }

        // The first byte of each file is flipped. kept.bin gets its modification time back, so only a node that
        // reads it could tell; changed.bin keeps its new time, so it must be checked, and its first piece fails.
        Damage(kept, restoreTime: true);
        Damage(changed, restoreTime: false);

        await using var second = StartNode(temp);
        bool ChangedChecked() => second.AllStdout.Any(l => l.StartsWith("2:changed.bin:", StringComparison.Ordinal) && l != "2:changed.bin:-1");
        await second.WaitUntilAsync(() => second.AllStdout.Contains("1:kept.bin:100") && ChangedChecked(), Exit, "both torrents back");
        await Task.Delay(500);
        Assert.DoesNotContain("2:changed.bin:100", second.AllStdout);
        Assert.Contains("(0 hashed)", second.Stderr, StringComparison.Ordinal);
    }

    private static void Damage(string path, bool restoreTime)
    {
        var time = File.GetLastWriteTimeUtc(path);
        var bytes = File.ReadAllBytes(path);
        bytes[0] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        File.SetLastWriteTimeUtc(path, restoreTime ? time : time.AddSeconds(10));
    }

    [Fact]
    public async Task After_SIGKILL_the_torrents_added_before_it_come_back()
    {
        using var temp = new TempFolder();
        var a = temp.RandomFile("a.bin", 100_000);
        var b = temp.RandomFile("b.bin", 120_000);

        await using (var first = StartNode(temp))
        {
            await first.SendAsync("file:" + a);
            await first.ReadUntilAsync(l => l == "1:a.bin:-1");
            await first.SendAsync("file:" + b);
            await first.ReadUntilAsync(l => l == "2:b.bin:-1");
            first.Signal(9);
            Assert.Equal(137, await first.WaitForExitAsync(Exit));
        }

        await using var second = StartNode(temp);
        await second.WaitUntilAsync(
            () => second.AllStdout.Contains("1:a.bin:100") && second.AllStdout.Contains("2:b.bin:100"), Exit, "both torrents back at 100");
        await second.SendAsync("file:" + temp.RandomFile("c.bin", 10_000));
        await second.ReadUntilAsync(l => l == "3:c.bin:100");
    }

    [Fact]
    public async Task A_second_node_on_a_state_folder_a_running_node_holds_is_refused()
    {
        using var temp = new TempFolder();
        await using var first = StartNode(temp);
        await WaitForBannerAsync(first);

        await using var second = StartNode(temp, workingDirectory: "other");
        Assert.Equal(StateExitCode, await second.WaitForExitAsync(Exit));
        Assert.Contains($"the state folder {temp.Combine("state")} is in use by another running node", second.Stderr);
        Assert.Empty(second.AllStdout);

        // The first node is unharmed and keeps its registry.
        Assert.False(first.HasExited);
        await first.SendAsync("file:" + temp.RandomFile("x.bin", 10_000));
        await first.ReadUntilAsync(l => l == "1:x.bin:100");
    }

    [Fact]
    public async Task A_corrupt_database_is_refused_with_its_name_and_left_untouched()
    {
        using var temp = new TempFolder();
        var database = Path.Combine(temp.Folder("state"), "torrentactors.db");
        var garbage = new byte[8192];
        new Random(11).NextBytes(garbage);
        File.WriteAllBytes(database, garbage);

        await using var node = StartNode(temp);
        Assert.Equal(StateExitCode, await node.WaitForExitAsync(Exit));
        Assert.Contains($"the state database {database} cannot be read", node.Stderr);
        Assert.Contains("move it away to start with an empty registry", node.Stderr);
        Assert.Empty(node.AllStdout);
        Assert.Equal(garbage, File.ReadAllBytes(database));
    }

    [Fact]
    public async Task A_journal_the_node_cannot_replay_stops_it_with_the_file_named_and_leaves_the_file_alone()
    {
        using var temp = new TempFolder();
        await using (var first = StartNode(temp))
        {
            await SeedAsync(first, temp.RandomFile("a.bin", 10_000));
            first.Terminate();
            Assert.Equal(0, await first.WaitForExitAsync(Exit));
        }

        var database = temp.Combine("state", "torrentactors.db");
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE journal SET message = X'7b6e6f7420'";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        var before = File.ReadAllBytes(database);
        await using var second = StartNode(temp);
        Assert.Equal(StateExitCode, await second.WaitForExitAsync(Exit));
        Assert.Contains($"torrentactors: the torrent registry in {database} cannot be used", second.Stderr);
        Assert.Contains("Move the file away to start with an empty registry", second.Stderr);
        Assert.DoesNotContain(second.AllStdout, Protocol.IsProgress);
        Assert.Equal(before, File.ReadAllBytes(database));
    }
}
