using System.Text;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Tests.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>Moments of a session's life that once went wrong: each test here failed on the session before the split.</summary>
public sealed class SessionLifecycleDefectTests
{
    [Fact]
    public async Task A_stop_during_the_check_is_not_undone_when_the_check_ends()
    {
        var (data, torrent) = TestData.Create("checked.bin", [("", 24 * 1024 * 1024)], 256 * 1024);
        using var _ = data;
        await using var engine = new ClientEngine(new EngineSettings { HashingParallelism = 1 });
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });

        var start = session.StartAsync();
        Assert.Equal(TorrentState.Checking, session.Status.State);
        await session.StopAsync();
        await start;

        Assert.Equal(TorrentState.Stopped, session.Status.State);
        await Task.Delay(300);
        Assert.Equal(TorrentState.Stopped, session.Status.State);

        // And the session is whole again afterwards: a later start checks and seeds.
        await session.StartAsync();
        Assert.Equal(TorrentState.Seeding, session.Status.State);
    }

    [Fact]
    public async Task A_read_error_during_the_check_puts_the_session_in_error_and_a_later_start_checks_again()
    {
        var (data, torrent) = TestData.Create("unreadable.bin", [("", 2000)], 16 * 1024);
        using var _ = data;
        var path = Path.Combine(data.Seed, "unreadable.bin");
        var original = File.ReadAllBytes(path);
        File.Delete(path);

        // A link that points at itself: it has a size (its target's length), and opening it fails with ELOOP,
        // a read error the root user cannot get around. The target is padded to be as long as the data.
        var target = "./" + string.Concat(Enumerable.Repeat("./", 1400)) + "unreadable.bin";
        Assert.True(target.Length >= original.Length, "the link must look long enough to hold the data");
        File.CreateSymbolicLink(path, target);

        await using var engine = new ClientEngine(new EngineSettings());
        await engine.StartAsync();
        var session = engine.Add(torrent, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await session.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(TorrentState.Error, session.Status.State);
        Assert.Contains("checking the data failed", session.Status.Error);

        File.Delete(path);
        File.WriteAllBytes(path, original);
        await session.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TorrentState.Seeding, session.Status.State);
        Assert.Null(session.Status.Error);
    }

    [Fact]
    public async Task A_session_that_failed_and_started_again_leaves_no_announce_loop_behind()
    {
        var events = new List<string>();
        await using var tracker = new RawHttpServer((line, _) =>
        {
            lock (events)
            {
                events.Add(line.Contains("event=started", StringComparison.Ordinal) ? "started"
                    : line.Contains("event=stopped", StringComparison.Ordinal) ? "stopped" : "other");
            }

            return RawHttpServer.Ok("d8:intervali1800e5:peers0:e");
        });
        var (data, plain) = TestData.Create("failing.bin", [("", 200_000)], 16 * 1024);
        using var _ = data;
        var torrent = TrackerFaultTests.WithTracker(plain, tracker.Announce.ToString());
        var leechFolder = data.Folder("leech");
        var blocked = Path.Combine(leechFolder, "failing.bin");
        Directory.CreateDirectory(blocked); // a folder where the file must go: the first piece write fails

        await using var seeder = new ClientEngine(new EngineSettings());
        await using var leecher = new ClientEngine(new EngineSettings());
        await seeder.StartAsync();
        await leecher.StartAsync();
        var seed = seeder.Add(plain, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        var leech = leecher.Add(torrent, new TorrentSessionOptions { DownloadDirectory = leechFolder });
        await seed.StartAsync();
        await leech.StartAsync();
        leech.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Error, TimeSpan.FromSeconds(60), () => leech.Status.ToString());

        Directory.Delete(blocked);
        await leech.StartAsync();
        leech.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => leech.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(60), () => leech.Status.ToString());
        await leech.StopAsync();

        string Describe()
        {
            lock (events)
            {
                return string.Join(",", events);
            }
        }

        // Every run that announced 'started' also announced 'stopped': no loop is left to announce again.
        await TransferTests.WaitForAsync(
            () => { lock (events) { return events.Count(e => e == "stopped") >= events.Count(e => e == "started"); } },
            TimeSpan.FromSeconds(10),
            Describe);
        lock (events)
        {
            Assert.Equal(2, events.Count(e => e == "started"));
            Assert.Equal(2, events.Count(e => e == "stopped"));
        }
    }
}
