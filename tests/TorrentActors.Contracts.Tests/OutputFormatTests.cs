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
