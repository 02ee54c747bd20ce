using System.Text.RegularExpressions;
using TorrentActors.EndToEnd.Tests.Support;
using Xunit;

namespace TorrentActors.EndToEnd.Tests;

/// <summary>
/// The node's stderr: one line per log event (<c>2026-12-01T17:00:00.000Z info Category: message</c>, exceptions on
/// the same line), Akka's events without Akka's own <c>[INFO][date][Thread]</c> prefix, and the <c>torrentactors: </c>
/// banner lines; <c>--log-level</c> sets the lowest level written.
/// </summary>
public sealed partial class LogLineTests
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z (trace|debug|info|warn|error|crit) [^\s:]+: \S.*$")]
    private static partial Regex LogLine();

    private static NodeProcess StartNode(TempFolder temp, params string[] extra) =>
        NodeProcess.Start(temp.Path, ["--torrent-dir", temp.Combine("torrents"), "--download-dir", temp.Combine("downloads"), "--tracker-port", "0", "--exit-on-eof", .. extra]);

    /// <summary>Seeds a file, sends a file that is no torrent (a warning with an exception), then ends stdin.</summary>
    private static async Task<NodeProcess> RunScenarioAsync(TempFolder temp, params string[] extra)
    {
        var data = temp.RandomFile("logged.bin", 50_000);
        var node = StartNode(temp, extra);
        await node.SendAsync("file:" + data);
        await node.ReadUntilAsync(l => l == "1:logged.bin:100");
        await node.SendAsync("torrent:" + data);
        await node.ReadUntilAsync(Protocol.IsError);
        node.CloseStdin();
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        return node;
    }

    private static string[] StderrLines(NodeProcess node) => node.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

    [Theory]
    [InlineData("information")]
    [InlineData("debug")]
    public async Task Every_stderr_line_is_one_log_event_or_a_banner_and_stdout_carries_only_the_protocol(string level)
    {
        using var temp = new TempFolder();
        await using var node = await RunScenarioAsync(temp, "--log-level", level);

        Assert.True(Protocol.IsClean(node.AllStdout), string.Join("\n", node.AllStdout));
        var lines = StderrLines(node);
        Assert.All(lines, line => Assert.True(LogLine().IsMatch(line) || line.StartsWith("torrentactors: ", StringComparison.Ordinal), line));
        Assert.DoesNotContain(lines, line => line.Contains("[INFO][", StringComparison.Ordinal) || line.Contains("[WARNING][", StringComparison.Ordinal));
        // Akka's events carry the actor's class as their category, and the exception stays on the event's line.
        Assert.Contains(lines, line => LogLine().IsMatch(line) && line.Contains(" info TorrentActors.Actors.Making.MakerActor: Making a torrent of ", StringComparison.Ordinal));
        Assert.Contains(lines, line => LogLine().IsMatch(line) && line.Contains(" warn TorrentActors.Actors.Fetching.", StringComparison.Ordinal) && line.Contains("BencodeException", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("torrentactors: peers on ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_level_warning_hides_info_lines_and_keeps_warnings_and_the_banner()
    {
        using var temp = new TempFolder();
        await using var node = await RunScenarioAsync(temp, "--log-level", "warning");

        var lines = StderrLines(node);
        Assert.DoesNotContain(lines, line => line.Contains(" info ", StringComparison.Ordinal));
        Assert.Contains(lines, line => LogLine().IsMatch(line) && line.Contains(" warn ", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("torrentactors: peers on ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_level_none_leaves_only_the_banner()
    {
        using var temp = new TempFolder();
        await using var node = await RunScenarioAsync(temp, "--log-level", "none");

        Assert.All(StderrLines(node), line => Assert.StartsWith("torrentactors: ", line, StringComparison.Ordinal));
    }
}
