using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using Akka.Actor;
using Akka.Event;
using Akka.TestKit.Xunit2;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using TorrentActors.Contracts.Remote;
using Xunit;

namespace TorrentActors.Actors.Tests.Remote;

/// <summary>A full node and a client, each its own actor system with remoting on 127.0.0.1: everything crosses the wire.</summary>
public sealed class GatewayOverTheWireTests() : TestKit("akka.test.timefactor = 3")
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Every_command_reply_and_event_crosses_the_wire()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using var client = await RemoteTestSystem.StartClientAsync();
        var gateway = node.Gateway(client.System);
        var payload = RandomNumberGenerator.GetBytes(300_000);
        await File.WriteAllBytesAsync(Path.Combine(node.Root!, "data", "payload.bin"), payload);
        var watcher = CreateTestProbe();
        var relay = client.System.ActorOf(Relay.Props(watcher.Ref));

        relay.Tell(new Relay.SendTo(gateway, RemoteCommands.Subscribe.Instance));
        var subscribed = await watcher.ExpectMsgAsync<RemoteReplies.Subscribed>(Timeout);
        Assert.Empty(subscribed.Torrents);

        var added = Assert.IsType<RemoteReplies.TorrentAdded>(await Ask(gateway, new RemoteCommands.SeedFile("payload.bin")));
        Assert.Equal(new RemoteReplies.TorrentAdded("file:payload.bin", 1, "payload.bin", added.InfoHash), added);
        Assert.Matches("^[0-9a-f]{40}$", added.InfoHash);

        var completed = await watcher.FishForMessageAsync<RemoteEvents.TorrentCompleted>(_ => true, Timeout);
        Assert.Equal(new RemoteEvents.TorrentCompleted(1, "payload.bin", added.InfoHash), completed);

        var status = Assert.IsType<RemoteReplies.StatusReport>(await Ask(gateway, RemoteCommands.GetStatus.Instance));
        var only = Assert.Single(status.Torrents);
        Assert.Equal((1, "payload.bin", 100, added.InfoHash), (only.Id, only.Name, only.Percent, only.InfoHash));

        var torrentFile = Path.Combine(node.Root!, "torrents", "payload.bin.torrent");
        var torrentBytes = await File.ReadAllBytesAsync(torrentFile);
        var again = Assert.IsType<RemoteReplies.CommandFailed>(await Ask(gateway, new RemoteCommands.AddTorrentPath("payload.bin.torrent")));
        Assert.Equal(new RemoteReplies.CommandFailed("torrent:payload.bin.torrent", "already active as 1"), again);
        Assert.Equal(new RemoteEvents.NodeError("torrent:payload.bin.torrent", "already active as 1"), await watcher.FishForMessageAsync<RemoteEvents.NodeError>(_ => true, Timeout));

        var sameBytes = Assert.IsType<RemoteReplies.CommandFailed>(await Ask(gateway, new RemoteCommands.AddTorrentBytes([.. torrentBytes])));
        Assert.Equal("already active as 1", sameBytes.Reason);
        var garbage = Assert.IsType<RemoteReplies.CommandFailed>(await Ask(gateway, new RemoteCommands.AddTorrentBytes([1, 2, 3])));
        Assert.StartsWith("not a torrent", garbage.Reason);
        var unreachable = Assert.IsType<RemoteReplies.CommandFailed>(await Ask(gateway, new RemoteCommands.AddTorrentUrl("http://127.0.0.1:1/x.torrent")));
        Assert.Equal("torrent:http://127.0.0.1:1/x.torrent", unreachable.Command);
        var notUrl = Assert.IsType<RemoteReplies.CommandFailed>(await Ask(gateway, new RemoteCommands.AddTorrentUrl("ftp://127.0.0.1/x")));
        Assert.Equal("only http:// and https:// URLs can be fetched", notUrl.Reason);
        var missing = Assert.IsType<RemoteReplies.CommandFailed>(await Ask(gateway, new RemoteCommands.SeedFile("nothing-here")));
        Assert.Equal("no such file", missing.Reason);

        Assert.Equal(new RemoteReplies.CommandApplied("stop:1", 1, "payload.bin", "stopped"), await Ask(gateway, new RemoteCommands.StopTorrent(1)));
        Assert.Equal(new RemoteReplies.CommandApplied("start:1", 1, "payload.bin", "started"), await Ask(gateway, new RemoteCommands.StartTorrent(1)));
        Assert.Equal(new RemoteReplies.CommandFailed("stop:9", "no torrent with ID 9"), await Ask(gateway, new RemoteCommands.StopTorrent(9)));
        Assert.Equal(new RemoteReplies.CommandFailed("start:9", "no torrent with ID 9"), await Ask(gateway, new RemoteCommands.StartTorrent(9)));
        Assert.Equal(new RemoteReplies.CommandFailed("remove:9", "no torrent with ID 9"), await Ask(gateway, new RemoteCommands.RemoveTorrent(9)));

        Assert.Equal(new RemoteReplies.CommandApplied("remove:1", 1, "payload.bin", "removed"), await Ask(gateway, new RemoteCommands.RemoveTorrent(1)));
        // The answer comes through the stdout writer, the torrent's departure straight from the patrons: either may be first.
        var gone = new List<RemoteEvents.IRemoteEvent>();
        await watcher.FishForMessageAsync<RemoteEvents.IRemoteEvent>(
            e =>
            {
                if (e is RemoteEvents.TorrentRemoved or RemoteEvents.CommandAnswered { Outcome: "removed" })
                {
                    gone.Add(e);
                }

                return gone.Count == 2;
            },
            Timeout);
        Assert.Contains(new RemoteEvents.CommandAnswered(1, "payload.bin", "removed", "remove:1"), gone);
        Assert.Contains(new RemoteEvents.TorrentRemoved(1), gone);

        var readded = Assert.IsType<RemoteReplies.TorrentAdded>(await Ask(gateway, new RemoteCommands.AddTorrentBytes([.. torrentBytes])));
        Assert.Equal((2, "payload.bin", added.InfoHash), (readded.Id, readded.Name, readded.InfoHash));
        var progress = await watcher.FishForMessageAsync<RemoteEvents.TorrentProgress>(p => p.Id == 2, Timeout);
        Assert.Equal(-1, progress.Percent);

        relay.Tell(new Relay.SendTo(gateway, RemoteCommands.Unsubscribe.Instance));
        await watcher.FishForMessageAsync<RemoteReplies.Unsubscribed>(_ => true, Timeout);
    }

    [Fact]
    public async Task Subscribers_see_the_lines_the_node_prints()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using var client = await RemoteTestSystem.StartClientAsync();
        var gateway = node.Gateway(client.System);
        await File.WriteAllBytesAsync(Path.Combine(node.Root!, "data", "a.bin"), RandomNumberGenerator.GetBytes(100_000));
        var watcher = CreateTestProbe();
        var relay = client.System.ActorOf(Relay.Props(watcher.Ref));
        relay.Tell(new Relay.SendTo(gateway, RemoteCommands.Subscribe.Instance));
        await watcher.ExpectMsgAsync<RemoteReplies.Subscribed>(Timeout);

        await Ask(gateway, new RemoteCommands.SeedFile("a.bin"));
        await Ask(gateway, new RemoteCommands.SeedFile("missing.bin"));
        var seen = new List<string>();
        while (seen.Count < node.StdoutLines().Length || !node.StdoutLines().Contains("1:a.bin:100"))
        {
            var message = await watcher.ReceiveOneAsync(Timeout);
            switch (message)
            {
                case RemoteEvents.TorrentProgress p:
                    seen.Add($"{p.Id}:{p.Name}:{p.Percent}");
                    break;
                case RemoteEvents.NodeError e:
                    seen.Add($"error: {e.Command}: {e.Reason}");
                    break;
            }
        }

        Assert.Equal(node.StdoutLines(), seen);
    }

    [Fact]
    public async Task A_subscriber_that_dies_is_dropped()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using var client = await RemoteTestSystem.StartClientAsync();
        var logs = CreateTestProbe();
        node.System.EventStream.Subscribe(node.System.ActorOf(Relay.Props(logs.Ref)), typeof(Info));
        var watcher = CreateTestProbe();
        var relay = client.System.ActorOf(Relay.Props(watcher.Ref));
        relay.Tell(new Relay.SendTo(node.Gateway(client.System), RemoteCommands.Subscribe.Instance));
        await watcher.ExpectMsgAsync<RemoteReplies.Subscribed>(Timeout);

        client.System.Stop(relay);

        await logs.FishForMessageAsync<Info>(info => info.Message.ToString()!.StartsWith("Subscriber ") && info.Message.ToString()!.EndsWith(" is gone"), Timeout);
    }

    [Fact]
    public async Task The_client_finds_the_gateway_and_fails_fast_on_a_node_that_is_not_running()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await using (var connected = await RemoteClient.ConnectAsync(node.Address.ToString(), new RemoteSettings(), Timeout))
        {
            Assert.IsType<RemoteReplies.StatusReport>(await connected.AskAsync(RemoteCommands.GetStatus.Instance, Timeout));
        }

        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var freePort = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var ex = await Assert.ThrowsAsync<RemoteNodeException>(() =>
            RemoteClient.ConnectAsync($"akka.tcp://torrentactors@127.0.0.1:{freePort}", new RemoteSettings(), TimeSpan.FromSeconds(3)));
        Assert.Contains("is the node running", ex.Message);
        Assert.Throws<FormatException>(() => RemoteClient.ParseNodeAddress("http://127.0.0.1:80"));
        Assert.Throws<FormatException>(() => RemoteClient.ParseNodeAddress("akka.tcp://other@127.0.0.1:4552"));
    }

    [Fact]
    public async Task A_public_host_is_the_address_the_node_gives_and_answers_on()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync(new RemoteSettings { Host = "127.0.0.1", Port = 0, PublicHost = "localhost" });

        Assert.Equal("localhost", node.Address.Host);
        await using var client = await RemoteClient.ConnectAsync(node.Address.ToString(), new RemoteSettings(), Timeout);
        Assert.IsType<RemoteReplies.StatusReport>(await client.AskAsync(RemoteCommands.GetStatus.Instance, Timeout));
    }

    [Fact]
    public async Task Several_subscriptions_on_one_client_each_see_the_nodes_events()
    {
        await using var node = await RemoteTestSystem.StartNodeAsync();
        await File.WriteAllBytesAsync(Path.Combine(node.Root!, "data", "both.bin"), Encoding.ASCII.GetBytes("seen twice"));
        await using var client = await RemoteClient.ConnectAsync(node.Address.ToString(), new RemoteSettings(), Timeout);

        var subscriptions = await Task.WhenAll(Task.Run(client.Subscribe), Task.Run(client.Subscribe));
        var third = client.Subscribe();
        foreach (var events in subscriptions.Append(third))
        {
            Assert.IsType<RemoteReplies.Subscribed>((await events.ReadAsync().AsTask().WaitAsync(Timeout)).Message);
        }

        var added = Assert.IsType<RemoteReplies.TorrentAdded>(await client.AskAsync(new RemoteCommands.SeedFile("both.bin"), Timeout));

        foreach (var events in subscriptions.Append(third))
        {
            Assert.Equal(new RemoteEvents.TorrentCompleted(1, "both.bin", added.InfoHash), await NextCompletedAsync(events));
        }
    }

    private static async Task<RemoteReplies.IRemoteReply> Ask(ActorSelection gateway, RemoteCommands.IRemoteCommand command) =>
        await gateway.Ask<RemoteReplies.IRemoteReply>(command, Timeout);

    private static async Task<RemoteEvents.TorrentCompleted> NextCompletedAsync(ChannelReader<RemoteProtocolMessageOrEnd> events)
    {
        using var deadline = new CancellationTokenSource(Timeout);
        await foreach (var item in events.ReadAllAsync(deadline.Token))
        {
            Assert.Null(item.End);
            if (item.Message is RemoteEvents.TorrentCompleted completed)
            {
                return completed;
            }
        }

        throw new InvalidOperationException("the subscription ended without a completed torrent");
    }
}
