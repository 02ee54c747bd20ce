using System.Diagnostics;
using System.Net;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.PeerWire;
using TorrentActors.Interop.Tests.Peers;
using TorrentActors.Interop.Tests.Tools;
using Xunit;

namespace TorrentActors.Interop.Tests.Transfers;

/// <summary>
/// The admission attack of issue 14 with a real client as the honest peer: while one address holds 2,000 sockets
/// that finished the handshake and then say nothing and 300 that never finish it, aria2c, finding our seeder through
/// opentracker, connects to it within 5 s and downloads the file byte-identical. The attacker comes from 127.0.0.2
/// under the default cap per address, or from 127.0.0.1 like aria2c with that cap raised out of the way (then the
/// deadlines and the eviction of idle peers alone must let aria2c in).
/// </summary>
public sealed class AdmissionInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [SkippableTheory]
    [InlineData("127.0.0.2", null)]
    [InlineData("127.0.0.1", 100_000)]
    public async Task Aria2c_connects_within_5_s_and_downloads_while_one_address_holds_2000_idle_and_300_half_open_sockets(string attacker, int? perAddress)
    {
        ExternalTool.Require("aria2c", "aria2");
        using var temp = new TempFolder();
        var source = RandomFile.Create(Path.Combine(temp.Folder("seed"), "attacked.bin"), (4 * 1024 * 1024) + 77, seed: 14);
        await using var tracker = await OpenTrackerProcess.StartAsync();
        var torrent = await MktorrentTool.CreateAsync(source, temp.Combine("attacked.torrent"), tracker.AnnounceUri, pieceLengthExponent: 16);
        await tracker.WhitelistAsync(torrent.InfoHash);
        var settings = perAddress is { } cap ? new EngineSettings { MaxConnectionsPerAddress = cap } : new EngineSettings();
        await using var ours = await OurPeer.StartAsync(torrent, temp.Folder("seed"), settings: settings);
        await TrackerProbe.WaitForSeedersAsync(tracker.AnnounceUri, torrent.InfoHash, 1, TimeSpan.FromSeconds(60));

        await using var attack = await HostileSockets.OpenAsync(
            IPAddress.Parse(attacker),
            ours.EndPoint,
            idle: 2000,
            halfOpen: 300,
            i =>
            {
                var hello = new byte[Handshake.Length];
                new Handshake(torrent.InfoHash, System.Text.Encoding.ASCII.GetBytes($"-XX0000-idle{i:D8}"), false, false).Encode(hello);
                return hello;
            });

        var watch = Stopwatch.StartNew();
        await using var aria2 = Aria2Process.Leech(temp.Combine("attacked.torrent"), temp.Folder("leech"));
        await ours.WaitAsync(() => HasAria2(ours.Session), TimeSpan.FromSeconds(5), $"aria2c to connect (after {watch.Elapsed})");
        Assert.True(await aria2.WaitForExitAsync(Timeout) == 0, aria2.Describe());
        Assert.True(ExternalProcess.FilesAreEqual(source, Path.Combine(temp.Folder("leech"), "attacked.bin")), aria2.Describe());
    }

    /// <summary>An aria2c peer (peer id <c>A2-...</c>) is connected to the session.</summary>
    private static bool HasAria2(TorrentSession session) => session.ConnectedPeerIds().Any(id => id.StartsWith("A2-", StringComparison.Ordinal));
}
