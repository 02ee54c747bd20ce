using TorrentActors.Engine.Tests.Client;
using TorrentActors.Engine.Trackers;
using Xunit;

namespace TorrentActors.Engine.Tests.Trackers;

public sealed class TrackerAnnouncerStopTests
{
    [Fact]
    public async Task A_started_announce_cut_short_by_the_stop_is_followed_by_stopped()
    {
        // The tracker takes the 'started' and never answers it (as a slow tracker does), so the stop comes while it
        // is under way: the tracker has counted us, and must hear that we left.
        await using var tracker = new RawHttpServer((line, _) =>
            line.Contains("event=started", StringComparison.Ordinal) ? null : RawHttpServer.Ok("d8:intervali1800e5:peers0:e"));
        await using var announcer = new TrackerAnnouncer([[tracker.Announce.ToString()]], e => TestBytes.Request(e));

        announcer.Start();
        await TransferTests.WaitForAsync(() => tracker.RequestLines.Count == 1, TimeSpan.FromSeconds(10), () => string.Join(", ", tracker.RequestLines));
        await announcer.StopAsync(CancellationToken.None);

        Assert.Collection(
            tracker.RequestLines,
            started => Assert.Contains("event=started", started, StringComparison.Ordinal),
            stopped => Assert.Contains("event=stopped", stopped, StringComparison.Ordinal));
    }
}
