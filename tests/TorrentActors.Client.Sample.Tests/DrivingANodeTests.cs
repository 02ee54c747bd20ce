using TorrentActors.Contracts.Remote;
using Xunit;

namespace TorrentActors.Client.Sample.Tests;

/// <summary>
/// What a .NET program does with the client package alone: connect to a running node over Akka.Remote, have it seed
/// a file, follow the torrent's progress, read its status, stop it. (The README's sample is this test.)
/// </summary>
public sealed class DrivingANodeTests
{
    private static readonly TimeSpan Reply = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_program_with_only_the_client_package_has_a_node_seed_a_file_and_reads_its_progress_status_and_answers_back()
    {
        await using var node = NodeUnderTest.Start();
        var data = Path.Combine(node.Folder, "report.bin");
        var bytes = new byte[300_000];
        Random.Shared.NextBytes(bytes);
        await File.WriteAllBytesAsync(data, bytes);
        var address = await node.WaitForRemoteAddressAsync(TimeSpan.FromSeconds(60));

        await using var client = await RemoteClient.ConnectAsync(address, new RemoteSettings(), TimeSpan.FromSeconds(10));
        var events = client.Subscribe();
        Assert.IsType<RemoteReplies.Subscribed>((await events.ReadAsync()).Message);

        var reply = await client.AskAsync(new RemoteCommands.SeedFile(data), Reply);
        var added = Assert.IsType<RemoteReplies.TorrentAdded>(reply);
        Assert.Equal((1, "report.bin"), (added.Id, added.Name));
        Assert.Matches("^[0-9a-f]{40}$", added.InfoHash);

        // Progress as the node prints it (ID:NAME:PERCENT), as messages: -1, then 100 once the data is confirmed.
        var percents = new List<int>();
        using (var deadline = new CancellationTokenSource(Reply))
        {
            while (!percents.Contains(100))
            {
                var next = await events.ReadAsync(deadline.Token);
                Assert.Null(next.End);
                if (next.Message is RemoteEvents.TorrentProgress { Id: 1 } progress)
                {
                    percents.Add(progress.Percent);
                }
            }
        }

        Assert.Equal([-1, 100], percents);
        var status = Assert.IsType<RemoteReplies.StatusReport>(await client.AskAsync(RemoteCommands.GetStatus.Instance, Reply));
        var line = Assert.Single(status.Torrents);
        Assert.Equal((1, "report.bin", 100, added.InfoHash, "seeding"), (line.Id, line.Name, line.Percent, line.InfoHash, line.State));

        Assert.Equal(new RemoteReplies.CommandApplied("stop:1", 1, "report.bin", "stopped"), await client.AskAsync(new RemoteCommands.StopTorrent(1), Reply));
        var stopped = Assert.IsType<RemoteReplies.StatusReport>(await client.AskAsync(RemoteCommands.GetStatus.Instance, Reply));
        Assert.Equal("stopped", Assert.Single(stopped.Torrents).State);
        Assert.Equal(new RemoteReplies.CommandFailed("stop:9", "no torrent with ID 9"), await client.AskAsync(new RemoteCommands.StopTorrent(9), Reply));
        Assert.True(File.Exists(Path.Combine(node.Folder, "torrents", "report.bin.torrent")), node.Stderr);
    }
}
