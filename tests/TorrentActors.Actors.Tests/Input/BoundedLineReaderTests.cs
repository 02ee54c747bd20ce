using TorrentActors.Actors.Input;
using TorrentActors.Contracts.Input;
using Xunit;

namespace TorrentActors.Actors.Tests.Input;

public class BoundedLineReaderTests
{
    private static List<InputEvents.IInputEvent> Read(string input, int max = 64)
    {
        var events = new List<InputEvents.IInputEvent>();
        BoundedLineReader.Run(new StringReader(input), max, events.Add, CancellationToken.None);
        return events;
    }

    [Fact]
    public void Lines_are_split_on_line_feeds_and_the_end_is_reported()
    {
        var events = Read("a\r\nb\n\nlast");
        Assert.Equal(
            ["a\r", "b", "", "last"],
            events.OfType<InputEvents.LineRead>().Select(l => l.Text));
        Assert.Same(InputEvents.InputEnded.Instance, events[^1]);
    }

    [Fact]
    public void A_line_over_the_limit_is_dropped_and_reported_once()
    {
        var events = Read(new string('x', 1024 * 1024) + "\nstatus\n", max: 64 * 1024);
        var tooLong = Assert.IsType<InputEvents.LineTooLong>(events[0]);
        Assert.Equal(1024 * 1024, tooLong.Length);
        Assert.Equal(new string('x', 40), tooLong.Prefix);
        Assert.Equal("status", Assert.IsType<InputEvents.LineRead>(events[1]).Text);
        Assert.Equal(3, events.Count);
    }

    [Fact]
    public void A_line_of_exactly_the_limit_is_kept()
    {
        var events = Read(new string('y', 64) + "\n", max: 64);
        Assert.Equal(new string('y', 64), Assert.IsType<InputEvents.LineRead>(events[0]).Text);
    }

    [Fact]
    public void An_unterminated_long_tail_is_still_reported()
    {
        var events = Read("ok\n" + new string('z', 200), max: 64);
        Assert.IsType<InputEvents.LineRead>(events[0]);
        Assert.Equal(200, Assert.IsType<InputEvents.LineTooLong>(events[1]).Length);
        Assert.Same(InputEvents.InputEnded.Instance, events[2]);
    }
}
