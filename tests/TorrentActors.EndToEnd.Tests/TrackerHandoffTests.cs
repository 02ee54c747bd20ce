using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using TorrentActors.EndToEnd.Tests.Support;
using TorrentActors.Engine.Metainfo;
using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// transmission-cli on loopback ignores the loopback peers a tracker hands it, so it is reached only when the seeder
/// dials it. The node hands each peer that announces to its embedded tracker straight to its session, which dials it
/// at once, instead of at its own next announce 300 s later. (transmission 3.00 then says Interested only at its own
/// download rechoke, every 10 s: measured 8.5 s after our connection, so its first bytes come some 9 to 11 s after its
/// announce whatever the seeder does.)
/// </summary>
public partial class TrackerHandoffTests
{
    [GeneratedRegex(@"Progress: (?<p>[0-9]+\.[0-9])%")]
    private static partial Regex TransmissionProgress();


    [SkippableFact]
    public async Task A_transmission_leecher_announcing_to_the_embedded_tracker_is_dialled_within_5_seconds_and_served()
    {
        ExternalTool.Require("transmission-cli", "transmission-cli");
        using var temp = new TempFolder();
        var data = temp.RandomFile("handed.bin", 6 * 1024 * 1024 + 21);
        await using var node = NodeProcess.Start(temp.Folder("a"), "--torrent-dir", temp.Combine("a", "torrents"),
            "--download-dir", temp.Combine("a", "downloads"), "--tracker-port", "0", "--listen-port", "0", "--log-level", "debug");
        var announce = new Uri(await Protocol.WaitForTrackerUrlAsync(node, TimeSpan.FromSeconds(60)) + "/announce");
        await node.SendAsync("file:" + data);
        await node.ReadUntilAsync(l => l == "1:handed.bin:100");
        var torrentPath = temp.Combine("a", "torrents", "handed.bin.torrent");
        var torrent = Torrent.Parse(File.ReadAllBytes(torrentPath));
        await TrackerProbe.WaitForSeedersAsync(announce, torrent.InfoHash, 1, TimeSpan.FromSeconds(30));

        var startedAt = DateTimeOffset.UtcNow;
        var started = Stopwatch.StartNew();
        await using var leecher = TransmissionProcess.Download(torrentPath, temp.Folder("tr"));
        var announcedAt = await WhenTheTrackerSeesTheLeecherAsync(announce, torrent.InfoHash, started, leecher);
        // The engine's debug line for the connection (UTC, to the millisecond) tells when the node dialled it.
        var dialledLine = $"peer 127.0.0.1:{leecher.Port} connected (outgoing True)";
        await leecher.WaitUntilAsync(() => node.Stderr.Contains(dialledLine, StringComparison.Ordinal), TimeSpan.FromSeconds(60), "the node's dial");
        var line = node.Stderr.Split('\n').First(l => l.Contains(dialledLine, StringComparison.Ordinal));
        var dialledAt = DateTimeOffset.Parse(line[..line.IndexOf(' ', StringComparison.Ordinal)], CultureInfo.InvariantCulture);
        var connected = dialledAt - (startedAt + announcedAt);
        await leecher.WaitUntilAsync(() => Received(leecher), TimeSpan.FromSeconds(60), "transmission's first bytes");
        var receiving = started.Elapsed - announcedAt;

        Assert.True(connected < TimeSpan.FromSeconds(5),
            $"transmission announced {announcedAt.TotalSeconds:0.0} s after its start and was dialled only {connected.TotalSeconds:0.0} s later\n{leecher.Describe()}");
        // Transmission asks for data only at its own rechoke (some 8-10 s after the connection here, 15 s once under
        // a loaded CI run): the bound is on it, not on the node, which the line above holds to 5 s.
        Assert.True(receiving < TimeSpan.FromSeconds(30),
            $"transmission announced {announcedAt.TotalSeconds:0.0} s after its start and received only {receiving.TotalSeconds:0.0} s later\n{leecher.Describe()}");
        await leecher.WaitUntilAsync(() => leecher.IsDone, TimeSpan.FromSeconds(120), "transmission's download");
        Assert.True(ExternalProcess.FilesAreEqual(data, Path.Combine(temp.Path, "tr", "handed.bin")), leecher.Describe());
    }

    private static bool Received(TransmissionProcess leecher) =>
        leecher.IsDone || TransmissionProgress().Matches(leecher.Output).Any(m => double.Parse(m.Groups["p"].Value, CultureInfo.InvariantCulture) > 0);

    /// <summary>
    /// When, on <paramref name="clock"/>, the tracker first lists the leecher beside the node: its announce, to within the
    /// 50 ms poll (the time the scrape was sent, so never later than the announce by more than the poll).
    /// </summary>
    private static async Task<TimeSpan> WhenTheTrackerSeesTheLeecherAsync(Uri announce, InfoHash infoHash, Stopwatch clock, TransmissionProcess leecher)
    {
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            var before = clock.Elapsed;
            var (complete, incomplete, _) = await TrackerProbe.ScrapeAsync(announce, infoHash);
            if (complete + incomplete >= 2)
            {
                return before;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("transmission never announced to the embedded tracker\n" + leecher.Describe());
    }
}
