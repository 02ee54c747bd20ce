using System.Security.Cryptography;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Actors.Tests.Support;
using TorrentActors.Contracts.Remote;
using Xunit;

namespace TorrentActors.Actors.Tests.Remote;

/// <summary>
/// Each remote request gets the outcome of exactly that request, however many others spell the same command or
/// send a .torrent of the same size. A real node and real clients, with remoting on 127.0.0.1.
/// </summary>
public sealed class GatewayRequestTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Two_clients_sending_the_same_url_each_get_the_torrent_their_own_fetch_brought()
    {
        var slow = TestTorrents.Make("slow.bin");
        var fast = TestTorrents.Make("fast.bin");
        var firstArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondServed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = 0;
        // The first request is answered only after the second: the outcomes come back in the other order.
        await using var server = new MiniHttpServer(async (stream, ct) =>
        {
            if (Interlocked.Increment(ref requests) == 1)
            {
                firstArrived.SetResult();
                await secondServed.Task.WaitAsync(ct);
                await MiniHttpServer.Respond(200, slow.EncodedBytes.ToArray())(stream, ct);
                return;
            }

            await MiniHttpServer.Respond(200, fast.EncodedBytes.ToArray())(stream, ct);
            await stream.FlushAsync(ct);
            secondServed.SetResult();
        });
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using var first = await RemoteClient.ConnectAsync(node.Address.ToString(), new RemoteSettings(), Timeout);
        await using var second = await RemoteClient.ConnectAsync(node.Address.ToString(), new RemoteSettings(), Timeout);
        var url = server.Url("/same.torrent").ToString();

        var firstReply = first.AskAsync(new RemoteCommands.AddTorrentUrl(url), Timeout);
        await firstArrived.Task.WaitAsync(Timeout);
        var secondReply = second.AskAsync(new RemoteCommands.AddTorrentUrl(url), Timeout);

        var firstAdded = Assert.IsType<RemoteReplies.TorrentAdded>(await firstReply);
        var secondAdded = Assert.IsType<RemoteReplies.TorrentAdded>(await secondReply);
        Assert.Equal(("torrent:" + url, "slow.bin", slow.InfoHash.ToHex()), (firstAdded.Command, firstAdded.Name, firstAdded.InfoHash));
        Assert.Equal(("torrent:" + url, "fast.bin", fast.InfoHash.ToHex()), (secondAdded.Command, secondAdded.Name, secondAdded.InfoHash));
        Assert.Equal([1, 2], new[] { firstAdded.Id, secondAdded.Id }.Order());
    }

    [Fact]
    public async Task Uploads_of_the_same_size_each_get_their_own_torrents_reply()
    {
        var active = TestTorrents.Make("active.bin");
        var uploads = new[] { TestTorrents.Make("other1.bin"), TestTorrents.Make("other2.bin"), TestTorrents.Make("other3.bin") };
        Assert.All(uploads, t => Assert.Equal(active.EncodedBytes.Length, t.EncodedBytes.Length));
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using var client = await RemoteClient.ConnectAsync(node.Address.ToString(), new RemoteSettings(), Timeout);
        var added = Assert.IsType<RemoteReplies.TorrentAdded>(await client.AskAsync(Upload(active), Timeout));
        Assert.Equal(1, added.Id);
        var command = $"torrent:({active.EncodedBytes.Length} bytes)";

        // One connection keeps the order: the node numbers the new torrents 2, 3, 4 as they arrive.
        var replies = await Task.WhenAll(
            client.AskAsync(Upload(active), Timeout),
            client.AskAsync(Upload(uploads[0]), Timeout),
            client.AskAsync(Upload(active), Timeout),
            client.AskAsync(Upload(uploads[1]), Timeout),
            client.AskAsync(Upload(active), Timeout),
            client.AskAsync(Upload(uploads[2]), Timeout));

        Assert.Equal(
            [
                new RemoteReplies.CommandFailed(command, "already active as 1"),
                new RemoteReplies.TorrentAdded(command, 2, "other1.bin", uploads[0].InfoHash.ToHex()),
                new RemoteReplies.CommandFailed(command, "already active as 1"),
                new RemoteReplies.TorrentAdded(command, 3, "other2.bin", uploads[1].InfoHash.ToHex()),
                new RemoteReplies.CommandFailed(command, "already active as 1"),
                new RemoteReplies.TorrentAdded(command, 4, "other3.bin", uploads[2].InfoHash.ToHex()),
            ],
            replies);
    }

    [Fact]
    public async Task Clients_sending_the_same_failing_command_at_once_each_get_one_reply()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using var first = await RemoteClient.ConnectAsync(node.Address.ToString(), new RemoteSettings(), Timeout);
        await using var second = await RemoteClient.ConnectAsync(node.Address.ToString(), new RemoteSettings(), Timeout);
        var missing = new RemoteCommands.SeedFile("/nonexistent/" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)));
        var expected = new RemoteReplies.CommandFailed("file:" + missing.Path, "no such file");

        var replies = await Task.WhenAll(
            Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? first : second).AskAsync(missing, Timeout)));

        Assert.All(replies, reply => Assert.Equal(expected, reply));
        var status = Assert.IsType<RemoteReplies.StatusReport>(await first.AskAsync(RemoteCommands.GetStatus.Instance, Timeout));
        Assert.Empty(status.Torrents);
        Assert.Equal(8, node.StdoutLines().Count(line => line == $"error: file:{missing.Path}: no such file"));
    }

    private static RemoteCommands.AddTorrentBytes Upload(Engine.Metainfo.Torrent torrent) => new([.. torrent.EncodedBytes.Span]);
}
