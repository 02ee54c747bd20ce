using System.Text.RegularExpressions;

namespace TorrentActors.EndToEnd.Tests.Support;

/// <summary>The pipe protocol's line shapes.</summary>
public static partial class Protocol
{
    [GeneratedRegex(@"^(?<id>[1-9][0-9]*):(?<name>.+):(?<percent>-1|[0-9]{1,3})$")]
    private static partial Regex ProgressPattern();

    /// <summary><c>ID:NAME:stopped|started|removed</c>: the answer to a stop, start or remove (a word where progress has a number).</summary>
    [GeneratedRegex(@"^(?<id>[1-9][0-9]*):(?<name>.+):(?<answer>stopped|started|removed)$")]
    private static partial Regex AnswerPattern();

    public static bool IsProgress(string line) => ProgressPattern().IsMatch(line);

    public static bool IsAnswer(string line) => AnswerPattern().IsMatch(line);

    public static bool IsError(string line) => line.StartsWith("error: ", StringComparison.Ordinal);

    /// <summary>True when every stdout line is a progress, answer or error line (nothing else leaks to stdout).</summary>
    public static bool IsClean(IEnumerable<string> lines) => lines.All(l => IsProgress(l) || IsAnswer(l) || IsError(l));

    public static int PercentOf(string line) => int.Parse(ProgressPattern().Match(line).Groups["percent"].Value, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The embedded tracker's URL from the banner on stderr.</summary>
    public static async Task<string> WaitForTrackerUrlAsync(NodeProcess node, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var match = Regex.Match(node.Stderr, @"tracker (?<url>http://(\[[0-9a-f:]+\]|[0-9.]+):[0-9]+)/announce");
            if (match.Success)
            {
                return match.Groups["url"].Value;
            }

            if (node.HasExited)
            {
                break;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("no tracker URL in the banner; stderr:\n" + node.Stderr);
    }
}
