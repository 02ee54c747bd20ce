using Microsoft.Extensions.Hosting;
using TorrentActors.Actors.Tests.Support;
using TorrentActors.Actors.Writing;
using TorrentActors.Engine.Client;
using Xunit;

namespace TorrentActors.Actors.Tests.Hosting;

public class MonitorAndLifetimeTests
{
    private static TorrentStatus Downloading(double progress, long verified = 1) =>
        new(TorrentState.Downloading, progress, verified, 100, 0, 1, null);

    [Fact]
    public async Task The_monitor_emits_a_line_only_when_the_whole_percentage_rises()
    {
        var engine = new FakeTorrentEngine
        {
            OnStart = (session, _) =>
            {
                foreach (var progress in new[] { 0.0, 0.101, 0.105, 0.1, 0.5, 0.5, 0.999, 1.0 })
                {
                    session.Publish(progress < 1 ? Downloading(progress) : new TorrentStatus(TorrentState.Seeding, 1, 1, 0, 0, 0, null));
                }

                session.Publish(new TorrentStatus(TorrentState.Seeding, 1, 1, 0, 50, 2, null));
                return Task.CompletedTask;
            },
        };
        await using var node = await TestNode.StartAsync(engine);
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, TestTorrents.Make("steps.bin"));
        await node.SendAsync("torrent:steps.bin.torrent");

        var lines = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            lines.Add(await node.Stdout.NextAsync());
        }

        // Nothing more came for the repeated 100% or the rate change: the next line answers the next command.
        await node.SendAsync("torrent:steps.bin.torrent");
        lines.Add(await node.Stdout.NextAsync());

        Assert.Equal(["1:steps.bin:-1", "1:steps.bin:0", "1:steps.bin:10", "1:steps.bin:50", "1:steps.bin:99", "1:steps.bin:100", "error: torrent:steps.bin.torrent: already active as 1"], lines);
    }

    [Fact]
    public async Task Json_mode_writes_the_same_events_as_json_lines()
    {
        await using var node = await TestNode.StartAsync(configure: s => s with { Json = true });
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, TestTorrents.Make("j.bin"));
        await node.SendAsync("torrent:j.bin.torrent");
        Assert.StartsWith("{\"id\":1,\"name\":\"j.bin\",\"percent\":-1,", await node.Stdout.NextAsync());
        Assert.StartsWith("{\"id\":1,\"name\":\"j.bin\",\"percent\":100,", await node.Stdout.NextAsync());
        await node.SendAsync("bogus");
        Assert.StartsWith("{\"error\":\"unknown command", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task End_of_input_stops_the_host_when_asked_to()
    {
        await using var node = await TestNode.StartAsync(configure: s => s with { ExitOnEndOfInput = true }, stdin: new StringReader("nonsense\n"));
        Assert.StartsWith("error: nonsense:", await node.Stdout.NextAsync());
        var stopping = node.Host.Services.GetService(typeof(IHostApplicationLifetime)) as IHostApplicationLifetime;
        await WaitForAsync(stopping!.ApplicationStopping);
    }

    [Fact]
    public async Task Completion_stops_the_host_when_asked_to_after_the_last_line_is_written()
    {
        await using var node = await TestNode.StartAsync(configure: s => s with { ExitWhenComplete = true });
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, TestTorrents.Make("done.bin"));
        await node.SendAsync("torrent:done.bin.torrent");
        var stopping = node.Host.Services.GetService(typeof(IHostApplicationLifetime)) as IHostApplicationLifetime;
        await WaitForAsync(stopping!.ApplicationStopping);
        Assert.True(node.Stdout.TryRead(out var first));
        Assert.Equal("1:done.bin:-1", first);
        Assert.True(node.Stdout.TryRead(out var last));
        Assert.Equal("1:done.bin:100", last);
    }

    private static async Task WaitForAsync(CancellationToken token)
    {
        var signalled = new TaskCompletionSource();
        await using var registration = token.Register(() => signalled.TrySetResult());
        var winner = await Task.WhenAny(signalled.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.Same(signalled.Task, winner);
    }
}
