using Akka.Actor;
using Akka.TestKit.Xunit2;
using TorrentActors.Actors.Tests.Support;
using TorrentActors.Actors.Writing;
using TorrentActors.Engine.Client;
using Xunit;

namespace TorrentActors.Actors.Tests.Hosting;

/// <summary>Patrons under their back-off supervisors, with an engine double that fails on purpose.</summary>
public class PatronSupervisionTests
{
    private static async Task<TestNode> StartWithTorrentAsync(FakeTorrentEngine engine, string name, Func<NodeActorSettings, NodeActorSettings>? configure = null)
    {
        var node = await TestNode.StartAsync(engine, configure);
        TorrentFileStore.Publish(node.Settings.TorrentDirectory, TestTorrents.Make(name));
        await node.SendAsync($"torrent:{name}.torrent");
        return node;
    }

    private static TorrentStatus Seeding(FakeTorrentEngine.FakeSession session) =>
        new(TorrentState.Seeding, 1.0, session.Torrent.TotalLength, 0, 0, 0, null);

    [Fact]
    public async Task Transient_failures_restart_the_patron_with_back_off_and_the_torrent_resumes()
    {
        var engine = new FakeTorrentEngine
        {
            OnStart = (session, attempt) =>
            {
                if (attempt <= 2)
                {
                    return Task.FromException(new IOException("the disk is busy"));
                }

                session.Publish(Seeding(session));
                return Task.CompletedTask;
            },
        };
        await using var node = await StartWithTorrentAsync(engine, "flaky.bin");

        Assert.Equal("1:flaky.bin:-1", await node.Stdout.NextAsync());
        Assert.Equal("1:flaky.bin:100", await node.Stdout.NextAsync());
        Assert.Equal(3, Assert.Single(engine.Sessions).StartCount);
    }

    [Fact]
    public async Task A_torrent_that_cannot_work_stops_with_an_error_and_is_not_restarted()
    {
        var release = new TaskCompletionSource();
        var engine = new FakeTorrentEngine
        {
            OnStart = async (_, _) =>
            {
                await release.Task;
                throw new DirectoryNotFoundException("/gone");
            },
        };
        await using var node = await StartWithTorrentAsync(engine, "lost.bin");
        Assert.Equal("1:lost.bin:-1", await node.Stdout.NextAsync());

        var kit = new TestKit(node.System);
        var session = Assert.Single(engine.Sessions); // the engine forgets it on removal: keep hold of it
        var hash = session.Torrent.InfoHash.ToHex();
        var supervisor = await node.System.ActorSelection($"/user/patrons/{hash}").ResolveOne(TimeSpan.FromSeconds(10));
        var probe = kit.CreateTestProbe();
        probe.Watch(supervisor);
        release.SetResult();

        Assert.Equal("error: torrent:lost.bin.torrent: no such file", await node.Stdout.NextAsync());
        await probe.ExpectTerminatedAsync(supervisor, TimeSpan.FromSeconds(10));
        Assert.Equal(1, session.StartCount); // started once, never tried again
        Assert.Equal(hash, Assert.Single(engine.Removed).ToHex());
        Assert.Empty(engine.Sessions); // and no restarted patron added it back
    }

    [Fact]
    public async Task Repeated_transient_failures_end_in_an_error_after_the_restart_limit()
    {
        var engine = new FakeTorrentEngine { OnStart = (_, _) => Task.FromException(new IOException("network down")) };
        await using var node = await StartWithTorrentAsync(engine, "doomed.bin", s => s with { MaxRestarts = 2 });
        Assert.Equal("1:doomed.bin:-1", await node.Stdout.NextAsync());
        Assert.Equal("error: torrent:doomed.bin.torrent: gave up after 3 failures: network down", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task An_engine_error_state_is_reported_and_the_torrent_stops()
    {
        var engine = new FakeTorrentEngine
        {
            OnStart = (session, _) =>
            {
                session.Publish(new TorrentStatus(TorrentState.Error, 0, 0, 0, 0, 0, "cannot open the data folder"));
                return Task.CompletedTask;
            },
        };
        await using var node = await StartWithTorrentAsync(engine, "broken.bin");
        Assert.Equal("1:broken.bin:-1", await node.Stdout.NextAsync());
        Assert.Equal("error: torrent:broken.bin.torrent: cannot open the data folder", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task A_torrent_already_active_is_not_started_twice()
    {
        var engine = new FakeTorrentEngine();
        await using var node = await StartWithTorrentAsync(engine, "twice.bin");
        await node.Stdout.WaitForAsync(l => l == "1:twice.bin:100");
        await node.SendAsync("torrent:twice.bin.torrent");
        Assert.Equal("error: torrent:twice.bin.torrent: already active as 1", await node.Stdout.NextAsync());
        Assert.Equal(1, Assert.Single(engine.Sessions).StartCount);
    }

    [Fact]
    public async Task Remove_forgets_the_torrent_and_keeps_it_addable_again()
    {
        var engine = new FakeTorrentEngine();
        await using var node = await StartWithTorrentAsync(engine, "gone.bin");
        await node.Stdout.WaitForAsync(l => l == "1:gone.bin:100");
        await node.SendAsync("remove:1");
        await node.SendAsync("stop:1");

        // The remove's answer and the stop's refusal may come in either order (the stop is refused at once).
        string[] answers = [await node.Stdout.NextAsync(), await node.Stdout.NextAsync()];
        Assert.Equal(["1:gone.bin:removed", "error: stop:1: no torrent with ID 1"], answers.Order(StringComparer.Ordinal));
        var kit = new TestKit(node.System);
        await kit.AwaitAssertAsync(() => Assert.Single(engine.Removed), TimeSpan.FromSeconds(10));

        // Adding it again succeeds once the old patron has ended; until then the answer says it is being removed.
        string line = "";
        for (var attempt = 0; attempt < 50; attempt++)
        {
            await node.SendAsync("torrent:gone.bin.torrent");
            line = await node.Stdout.NextAsync();
            if (!line.Contains("still being removed", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.Equal("2:gone.bin:-1", line);
        Assert.Equal("2:gone.bin:100", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task Stop_and_start_reach_the_session()
    {
        var engine = new FakeTorrentEngine();
        await using var node = await StartWithTorrentAsync(engine, "pause.bin");
        await node.Stdout.WaitForAsync(l => l == "1:pause.bin:100");
        await node.SendAsync("stop:1");
        var kit = new TestKit(node.System);
        await kit.AwaitAssertAsync(() => Assert.Equal(1, engine.Sessions.Single().StopCount), TimeSpan.FromSeconds(10));
        await node.SendAsync("start:1");
        await kit.AwaitAssertAsync(() => Assert.Equal(2, engine.Sessions.Single().StartCount), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Stop_start_and_remove_each_answer_one_line_once_the_session_did_it_and_status_shows_a_stopped_torrent()
    {
        var engine = new FakeTorrentEngine();
        await using var node = await StartWithTorrentAsync(engine, "answer.bin");
        await node.Stdout.WaitForAsync(l => l == "1:answer.bin:100");

        await node.SendAsync("stop:1");
        Assert.Equal("1:answer.bin:stopped", await node.Stdout.NextAsync());
        Assert.Equal(1, engine.Sessions.Single().StopCount);
        await node.SendAsync("stop:1");
        Assert.Equal("1:answer.bin:stopped", await node.Stdout.NextAsync());
        await node.SendAsync("status");
        Assert.Equal("1:answer.bin:stopped", await node.Stdout.NextAsync());

        await node.SendAsync("start:1");
        Assert.Equal("1:answer.bin:started", await node.Stdout.NextAsync());
        Assert.Equal(2, engine.Sessions.Single().StartCount);
        await node.SendAsync("status");
        Assert.Equal("1:answer.bin:100", await node.Stdout.NextAsync());

        await node.SendAsync("remove:1");
        Assert.Equal("1:answer.bin:removed", await node.Stdout.NextAsync());
        Assert.Single(engine.Removed);
        await node.SendAsync("start:1");
        Assert.Equal("error: start:1: no torrent with ID 1", await node.Stdout.NextAsync());
        Assert.False(node.Stdout.TryRead(out var extra), $"one line per command, but also {extra}");
    }

    [Fact]
    public async Task With_json_the_answers_are_json_objects_with_the_torrent_and_the_command()
    {
        var engine = new FakeTorrentEngine();
        await using var node = await StartWithTorrentAsync(engine, "answer.bin", s => s with { Json = true });
        await node.Stdout.WaitForAsync(l => l.Contains("\"percent\":100", StringComparison.Ordinal));

        await node.SendAsync("stop:1");
        Assert.Equal("""{"id":1,"name":"answer.bin","answer":"stopped","command":"stop:1"}""", await node.Stdout.NextAsync());
        await node.SendAsync("status");
        Assert.Contains("\"state\":\"stopped\"", await node.Stdout.NextAsync(), StringComparison.Ordinal);
        await node.SendAsync("start:1");
        Assert.Equal("""{"id":1,"name":"answer.bin","answer":"started","command":"start:1"}""", await node.Stdout.NextAsync());
        await node.SendAsync("remove:1");
        Assert.Equal("""{"id":1,"name":"answer.bin","answer":"removed","command":"remove:1"}""", await node.Stdout.NextAsync());
    }

    [Fact]
    public async Task Shutdown_stops_every_session_before_the_actors_end()
    {
        var engine = new FakeTorrentEngine();
        var node = await StartWithTorrentAsync(engine, "bye.bin");
        try
        {
            await node.Stdout.WaitForAsync(l => l == "1:bye.bin:100");
        }
        finally
        {
            await node.DisposeAsync();
        }

        Assert.Equal(1, engine.Sessions.Single().StopCount);
    }
}
