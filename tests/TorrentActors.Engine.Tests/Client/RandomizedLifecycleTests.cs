using System.Text;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Engine.Tests.Trackers;
using Xunit;
using Xunit.Abstractions;

namespace TorrentActors.Engine.Tests.Client;

/// <summary>
/// A real leecher session, a real seeder and a real tracker, driven through start, stop, pause, resume, remove, a
/// failing disk and a seeder that drops its connections, in a random order and at random moments of the download.
/// After each step the state must be one the API allows, and once the session is at rest nothing of its runs may
/// be left: no run (each run's end waits for its announcer, tick loop, connections and writes), no tick loop, no
/// announce loop (every 'started' has had its 'stopped'), no connection on either side, no open file. At the
/// end the download completes byte for byte.
/// </summary>
public sealed class RandomizedLifecycleTests(ITestOutputHelper output)
{
    private const int Rounds = 40;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);

    private enum Step
    {
        Start,
        Stop,
        Pause,
        Resume,
        StartThenStopAtOnce,
        Remove,
        BreakDisk,
        RepairDisk,
        SeederDropsPeers,
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Any_sequence_of_life_cycle_steps_leaves_nothing_running_and_ends_in_identical_data(int seed)
    {
        var random = new Random(seed);
        var announces = new AnnounceLog();
        await using var tracker = new RawHttpServer((line, _) =>
        {
            announces.Add(line);
            return RawHttpServer.Ok("d8:intervali1800e5:peers0:e");
        });
        var (data, plain) = TestData.Create("life.bin", [("", 16 * 1024 * 1024)], 64 * 1024, seed);
        using var _ = data;
        var torrent = TrackerFaultTests.WithTracker(plain, tracker.Announce.ToString());
        var leechFolder = data.Folder("leech");
        var leechFile = Path.Combine(leechFolder, "life.bin");

        await using var seeder = new ClientEngine(new EngineSettings());
        await using var leecher = new ClientEngine(new EngineSettings());
        await seeder.StartAsync();
        await leecher.StartAsync();
        var seed_ = seeder.Add(plain, new TorrentSessionOptions { DownloadDirectory = data.Seed });
        await seed_.StartAsync();
        var options = new TorrentSessionOptions { DownloadDirectory = leechFolder };
        var session = leecher.Add(torrent, options);
        var history = new StringBuilder();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        for (var round = 0; round < Rounds && clock.Elapsed < Budget; round++)
        {
            var step = (Step)random.Next(Enum.GetValues<Step>().Length);
            var before = session.Status.State;
            history.Append($"{round}:{step}@{before} ");
            switch (step)
            {
                case Step.Start:
                    await session.StartAsync().WaitAsync(Settle);
                    AssertState(session, history, before is TorrentState.Stopped or TorrentState.Error
                        ? [TorrentState.Downloading, TorrentState.Seeding, TorrentState.Error]
                        : [before, TorrentState.Seeding, TorrentState.Error]);
                    session.AddPeer(seeder.ListenEndPoint);
                    break;
                case Step.Stop:
                    await session.StopAsync().WaitAsync(Settle);
                    AssertState(session, history, [TorrentState.Stopped]);
                    break;
                case Step.Pause:
                    await session.PauseAsync().WaitAsync(Settle);
                    AssertState(session, history, before is TorrentState.Downloading or TorrentState.Seeding
                        ? [TorrentState.Paused]
                        : [before]);
                    break;
                case Step.Resume:
                    await session.ResumeAsync().WaitAsync(Settle);
                    AssertState(session, history, before == TorrentState.Paused
                        ? [TorrentState.Downloading, TorrentState.Seeding, TorrentState.Error]
                        : [before, TorrentState.Seeding, TorrentState.Error]);
                    session.AddPeer(seeder.ListenEndPoint);
                    break;
                case Step.StartThenStopAtOnce:
                    var starting = session.StartAsync();
                    await Task.Delay(random.Next(0, 5));
                    await session.StopAsync().WaitAsync(Settle);
                    await starting.WaitAsync(Settle);
                    AssertState(session, history, [TorrentState.Stopped]);
                    break;
                case Step.Remove:
                    var removed = session;
                    await leecher.RemoveAsync(torrent.InfoHash).WaitAsync(Settle);
                    await AssertAtRestAsync(removed, seed_, announces, leechFile, history);
                    session = leecher.Add(torrent, options);
                    AssertState(session, history, [TorrentState.Stopped]);
                    break;
                case Step.BreakDisk when before is not (TorrentState.Downloading or TorrentState.Seeding or TorrentState.Checking):
                    // Every write from now on fails with ENOSPC, as on a full disk (the session's files are closed at rest).
                    File.Delete(leechFile);
                    File.CreateSymbolicLink(leechFile, "/dev/full");
                    break;
                case Step.RepairDisk when before is not (TorrentState.Downloading or TorrentState.Seeding or TorrentState.Checking):
                    File.Delete(leechFile);
                    break;
                case Step.SeederDropsPeers:
                    await seed_.PauseAsync();
                    await seed_.ResumeAsync();
                    break;
            }

            history.Append($"->{session.Status.State} ");
            if (session.Status.State is TorrentState.Stopped or TorrentState.Paused or TorrentState.Error)
            {
                await AssertAtRestAsync(session, seed_, announces, leechFile, history);
            }
            else
            {
                Assert.True(session.LiveTickLoops <= 1, $"{session.LiveTickLoops} tick loops: {history}");
            }

            await Task.Delay(random.Next(0, 60));
        }

        // Mend the disk and finish: the data must arrive whole, whatever happened before.
        output.WriteLine(history.ToString());
        await session.StopAsync();
        if (new FileInfo(leechFile).LinkTarget is not null)
        {
            File.Delete(leechFile);
        }

        await session.StartAsync();
        session.AddPeer(seeder.ListenEndPoint);
        await TransferTests.WaitForAsync(() => session.Status.State == TorrentState.Seeding, TimeSpan.FromSeconds(60), () => $"{session.Status} after {history}");
        TransferTests.AssertSameFiles(torrent, data.Seed, leechFolder);
        await session.StopAsync();
        await AssertAtRestAsync(session, seed_, announces, leechFile, history);
    }

    private static void AssertState(TorrentSession session, StringBuilder history, TorrentState[] allowed)
    {
        var state = session.Status.State;
        Assert.True(allowed.Contains(state), $"state {state}, allowed {string.Join("/", allowed)}: {history}");
    }

    /// <summary>Nothing of the session's runs is left once it is at rest (a failed run ends in the background: allow it a moment).</summary>
    private static async Task AssertAtRestAsync(TorrentSession session, TorrentSession seeder, AnnounceLog announces, string leechFile, StringBuilder history)
    {
        await TransferTests.WaitForAsync(
            () => session.LiveRuns == 0 && session.LiveTickLoops == 0 && session.Status.PeerCount == 0 && seeder.Status.PeerCount == 0
                && announces.EveryStartedStopped && OpenHandlesTo(leechFile) == 0,
            Settle,
            () => $"runs {session.LiveRuns}, tick loops {session.LiveTickLoops}, peers {session.Status.PeerCount}, seeder's peers {seeder.Status.PeerCount}, "
                + $"announces {announces}, open handles {OpenHandlesTo(leechFile)}: {history}");
    }

    /// <summary>File descriptors of this process open on <paramref name="path"/> (Linux: /proc/self/fd).</summary>
    private static int OpenHandlesTo(string path)
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target == path || target == "/dev/full" || target == path + " (deleted)")
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // the descriptor closed while we looked
            }
        }

        return count;
    }

    /// <summary>The tracker's view: each announce loop says 'started' first and 'stopped' when it ends.</summary>
    private sealed class AnnounceLog
    {
        private readonly Lock _gate = new();
        private int _started;
        private int _stopped;

        /// <summary>
        /// Every 'started' has had its 'stopped'. A 'started' cut short by a stop may never have reached the tracker
        /// and still gets its 'stopped', so there may be more of those.
        /// </summary>
        public bool EveryStartedStopped
        {
            get
            {
                lock (_gate)
                {
                    return _stopped >= _started;
                }
            }
        }

        public void Add(string requestLine)
        {
            lock (_gate)
            {
                if (requestLine.Contains("event=started", StringComparison.Ordinal))
                {
                    _started++;
                }
                else if (requestLine.Contains("event=stopped", StringComparison.Ordinal))
                {
                    _stopped++;
                }
            }
        }

        public override string ToString()
        {
            lock (_gate)
            {
                return $"{_started} started / {_stopped} stopped";
            }
        }
    }
}
