using System.Text.Json;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Output;
using TorrentActors.Engine.Client;
using TorrentActors.Engine.Metainfo;
using Xunit;

namespace TorrentActors.Contracts.Tests;

public class OutputFormatTests
{
    private static readonly InfoHash Hash = InfoHash.FromHex("0123456789abcdef0123456789abcdef01234567");

    private static NodeOutputs.Progress Progress(string name, int percent) =>
        new(new TorrentId(3), name, percent, Hash, TorrentState.Downloading, 1000, 20, 2);

    [Fact]
    public void Progress_is_written_as_id_name_percent()
    {
        Assert.Equal("3:movie.mkv:42", OutputFormat.ToText(Progress("movie.mkv", 42)));
        Assert.Equal("3:movie.mkv:-1", OutputFormat.ToText(Progress("movie.mkv", -1)));
    }

    [Theory]
    [InlineData(CommandOutcome.Stopped, "3:a:b.bin:stopped")]
    [InlineData(CommandOutcome.Started, "3:a:b.bin:started")]
    [InlineData(CommandOutcome.Removed, "3:a:b.bin:removed")]
    public void Answers_are_written_as_id_name_and_a_word_where_progress_has_a_number(CommandOutcome outcome, string line)
    {
        Assert.Equal(line, OutputFormat.ToText(new NodeOutputs.Answer(new TorrentId(3), "a:b.bin", outcome, "stop:3", RequestId.None)));
    }

    [Fact]
    public void Answers_in_json_carry_the_id_name_answer_and_command()
    {
        var json = OutputFormat.ToJson(new NodeOutputs.Answer(new TorrentId(3), "a.bin", CommandOutcome.Removed, "remove:3", RequestId.None));
        Assert.Equal("""{"id":3,"name":"a.bin","answer":"removed","command":"remove:3"}""", json);
    }

    [Fact]
    public void A_stopped_torrent_in_a_status_reply_reads_stopped_and_everything_else_keeps_its_percent()
    {
        var stopped = Progress("a.bin", 40) with { State = TorrentState.Stopped };
        Assert.Equal("3:a.bin:stopped", OutputFormat.ToText(stopped with { StatusReply = true }));
        Assert.Equal("3:a.bin:40", OutputFormat.ToText(stopped));
        Assert.Equal("3:a.bin:40", OutputFormat.ToText(Progress("a.bin", 40) with { StatusReply = true }));
        var elsewhere = new NodeOutputs.ReplicaSummary(2, false, HeldHere: false, []);
        Assert.Equal("3:a.bin:40", OutputFormat.ToText(stopped with { StatusReply = true, Replicas = elsewhere }));
        Assert.Contains("\"state\":\"stopped\"", OutputFormat.ToJson(stopped with { StatusReply = true }), StringComparison.Ordinal);
        Assert.Contains("\"percent\":40", OutputFormat.ToJson(stopped with { StatusReply = true }), StringComparison.Ordinal);
    }

    [Fact]
    public void Errors_name_the_command_and_the_reason()
    {
        Assert.Equal("error: file:/x: no such file", OutputFormat.ToText(new NodeOutputs.Error("file:/x", "no such file", RequestId.None)));
    }

    [Fact]
    public void Control_characters_never_break_a_line()
    {
        var text = OutputFormat.ToText(new NodeOutputs.Error("bad\nline\r\0", "reason\nsplit", RequestId.None));
        Assert.DoesNotContain('\n', text);
        Assert.DoesNotContain('\r', text);
        Assert.Equal("error: bad?line??: reason?split", text);
    }

    [Fact]
    public void Long_commands_are_shortened_in_errors()
    {
        var text = OutputFormat.ToText(new NodeOutputs.Error(new string('x', 10_000), "too long", RequestId.None));
        Assert.True(text.Length < OutputFormat.MaxEchoedCommandLength + 40, text.Length.ToString());
        Assert.EndsWith("…: too long", text);
    }

    [Fact]
    public void Json_progress_carries_every_field()
    {
        using var document = JsonDocument.Parse(OutputFormat.ToJson(Progress("a \"quoted\" name", 100)));
        var root = document.RootElement;
        Assert.Equal(3, root.GetProperty("id").GetInt32());
        Assert.Equal("a \"quoted\" name", root.GetProperty("name").GetString());
        Assert.Equal(100, root.GetProperty("percent").GetInt32());
        Assert.Equal(Hash.ToHex(), root.GetProperty("infohash").GetString());
        Assert.Equal("downloading", root.GetProperty("state").GetString());
        Assert.Equal(1000, root.GetProperty("downloadRate").GetInt64());
        Assert.Equal(20, root.GetProperty("uploadRate").GetInt64());
        Assert.Equal(2, root.GetProperty("peers").GetInt32());
        Assert.False(root.TryGetProperty("trackerError", out _));
    }

    [Fact]
    public void Json_progress_says_why_the_trackers_fail_while_they_do()
    {
        var failing = Progress("a.bin", 0) with { TrackerError = "all 2 trackers failed: connection refused" };

        using var document = JsonDocument.Parse(OutputFormat.ToJson(failing));

        Assert.Equal("all 2 trackers failed: connection refused", document.RootElement.GetProperty("trackerError").GetString());
        Assert.Equal("3:a.bin:0", OutputFormat.ToText(failing));
    }

    [Fact]
    public void Json_errors_are_objects_with_error_and_command()
    {
        var line = OutputFormat.ToJson(new NodeOutputs.Error("torrent:http://x/", "unreachable\n(refused)", RequestId.None));
        Assert.DoesNotContain('\n', line);
        using var document = JsonDocument.Parse(line);
        Assert.Equal("unreachable\n(refused)", document.RootElement.GetProperty("error").GetString());
        Assert.Equal("torrent:http://x/", document.RootElement.GetProperty("command").GetString());
    }
}
