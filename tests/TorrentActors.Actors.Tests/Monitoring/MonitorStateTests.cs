using TorrentActors.Actors.Monitoring;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Output;
using TorrentActors.Contracts.Torrents;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Actors.Tests.Monitoring;

public class MonitorStateTests
{
    private static readonly InfoHash Hash = InfoHash.FromHex("0123456789abcdef0123456789abcdef01234567");

    private static TorrentEvents.StatusReported Report(int id, TorrentState state, double progress, long verified = 1) =>
        new(new TorrentId(id), "file.bin", Hash, new TorrentStatus(state, progress, progress > 0 ? verified : 0, 0, 0, 0, null));

    private static (MonitorState State, List<int> Percents) Feed(MonitorState state, params TorrentEvents.StatusReported[] reports)
    {
        var percents = new List<int>();
        foreach (var report in reports)
        {
            foreach (var line in MonitorState.Decide(state, report))
            {
                state = MonitorState.Apply(state, line);
                percents.Add(line.Percent);
            }
        }

        return (state, percents);
    }

    [Fact]
    public void A_new_torrent_is_announced_with_minus_one()
    {
        var (_, percents) = Feed(MonitorState.Empty, Report(1, TorrentState.Stopped, 0));
        Assert.Equal([-1], percents);
    }

    [Fact]
    public void A_seeded_file_goes_straight_to_100()
    {
        var (state, percents) = Feed(
            MonitorState.Empty,
            Report(1, TorrentState.Stopped, 0),
            Report(1, TorrentState.Checking, 0),
            Report(1, TorrentState.Seeding, 1.0));
        Assert.Equal([-1, 100], percents);
        Assert.True(state.AllComplete);
    }

    [Fact]
    public void Only_rises_of_the_whole_percentage_are_emitted()
    {
        var (_, percents) = Feed(
            MonitorState.Empty,
            Report(1, TorrentState.Stopped, 0),
            Report(1, TorrentState.Downloading, 0),
            Report(1, TorrentState.Downloading, 0.101),
            Report(1, TorrentState.Downloading, 0.109),
            Report(1, TorrentState.Downloading, 0.5),
            Report(1, TorrentState.Paused, 0.5),
            Report(1, TorrentState.Downloading, 0.3),
            Report(1, TorrentState.Seeding, 1.0),
            Report(1, TorrentState.Seeding, 1.0));
        Assert.Equal([-1, 0, 10, 50, 100], percents);
    }

    [Fact]
    public void A_torrent_first_seen_with_progress_emits_minus_one_then_its_percentage()
    {
        var lines = MonitorState.Decide(MonitorState.Empty, Report(4, TorrentState.Checking, 0.42));
        Assert.Equal([-1, 42], lines.Select(l => l.Percent));
        Assert.All(lines, l => Assert.Equal(new TorrentId(4), l.Id));
    }

    [Fact]
    public void Completion_needs_every_torrent_at_100_and_at_least_one()
    {
        Assert.False(MonitorState.Empty.AllComplete);
        var (state, _) = Feed(MonitorState.Empty, Report(1, TorrentState.Seeding, 1.0), Report(2, TorrentState.Downloading, 0.5));
        Assert.False(state.AllComplete);
        (state, _) = Feed(state, Report(2, TorrentState.Seeding, 1.0));
        Assert.True(state.AllComplete);
        state = MonitorState.Forget(state, new TorrentId(2));
        Assert.Equal([1], state.Torrents.Keys.Select(k => k.Value));
    }

    [Fact]
    public void Refresh_keeps_rates_fresh_without_changing_the_percentage()
    {
        var (state, _) = Feed(MonitorState.Empty, Report(1, TorrentState.Downloading, 0.5));
        var busy = new TorrentEvents.StatusReported(new TorrentId(1), "file.bin", Hash, new TorrentStatus(TorrentState.Downloading, 0.4, 1, 777, 5, 3, null));
        state = MonitorState.Refresh(state, busy);
        NodeOutputs.Progress torrent = state.Torrents[new TorrentId(1)];
        Assert.Equal(50, torrent.Percent);
        Assert.Equal(777, torrent.DownloadRate);
        Assert.Equal(3, torrent.PeerCount);
    }
}
