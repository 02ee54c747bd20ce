using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Remote;
using Xunit;

namespace TorrentActors.Contracts.Tests.Instructions;

public sealed class PipeGrammarTests
{
    public static TheoryData<string, RemoteCommands.IRemoteCommand> Lines() => new()
    {
        { "file:/data/a b.bin", new RemoteCommands.SeedFile("/data/a b.bin") },
        { "file:relative/clip.mp4", new RemoteCommands.SeedFile("relative/clip.mp4") },
        { "file:", new RemoteCommands.SeedFile("") },
        { "torrent:http://127.0.0.1:6969/torrents/a.torrent", new RemoteCommands.AddTorrentUrl("http://127.0.0.1:6969/torrents/a.torrent") },
        { "torrent:HTTPS://example.org/a.torrent", new RemoteCommands.AddTorrentUrl("HTTPS://example.org/a.torrent") },
        { "torrent:a.torrent", new RemoteCommands.AddTorrentPath("a.torrent") },
        { "torrent:ftp://host/a.torrent", new RemoteCommands.AddTorrentPath("ftp://host/a.torrent") },
        { "stop:3", new RemoteCommands.StopTorrent(3) },
        { "start:12", new RemoteCommands.StartTorrent(12) },
        { "remove:2147483647", new RemoteCommands.RemoveTorrent(int.MaxValue) },
        { "status", RemoteCommands.GetStatus.Instance },
        { "  file:  /data/x \r", new RemoteCommands.SeedFile("/data/x") },
        { "stop: 4 ", new RemoteCommands.StopTorrent(4) },
    };

    [Theory]
    [MemberData(nameof(Lines))]
    public void A_line_reads_as_the_remote_command_it_spells_with_paths_and_urls_as_written(string line, RemoteCommands.IRemoteCommand expected)
    {
        var read = PipeGrammar.Parse(line);

        Assert.Equal(PipeLine.Ok(line.Trim(), expected), read);
    }

    [Theory]
    [InlineData("hello", PipeGrammar.UnknownCommand)]
    [InlineData("FILE:/a", PipeGrammar.UnknownCommand)]
    [InlineData("status:1", PipeGrammar.UnknownCommand)]
    [InlineData("stop:abc", PipeGrammar.InvalidId)]
    [InlineData("stop:0", PipeGrammar.InvalidId)]
    [InlineData(" remove:-1", PipeGrammar.InvalidId)]
    [InlineData("start:+5", PipeGrammar.InvalidId)]
    [InlineData("start:99999999999", PipeGrammar.InvalidId)]
    public void Anything_else_is_an_error_that_names_the_trimmed_line(string line, string reason)
    {
        Assert.Equal(PipeLine.Fail(line.Trim(), reason), PipeGrammar.Parse(line));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  \t")]
    [InlineData("\r")]
    public void An_empty_line_is_nothing(string line)
    {
        var read = PipeGrammar.Parse(line);

        Assert.True(read.IsEmpty);
        Assert.Same(PipeLine.Empty, read);
    }

    [Fact]
    public void Commands_become_the_lines_of_the_pipe_protocol()
    {
        Assert.Equal("file:/data/a b", PipeGrammar.Format(new RemoteCommands.SeedFile("/data/a b")));
        Assert.Equal("torrent:http://127.0.0.1:8080/x.torrent", PipeGrammar.Format(new RemoteCommands.AddTorrentUrl("http://127.0.0.1:8080/x.torrent")));
        Assert.Equal("torrent:x.torrent", PipeGrammar.Format(new RemoteCommands.AddTorrentPath("x.torrent")));
        Assert.Equal("stop:3", PipeGrammar.Format(new RemoteCommands.StopTorrent(3)));
        Assert.Equal("start:12", PipeGrammar.Format(new RemoteCommands.StartTorrent(12)));
        Assert.Equal("remove:7", PipeGrammar.Format(new RemoteCommands.RemoveTorrent(7)));
        Assert.Equal("status", PipeGrammar.Format(RemoteCommands.GetStatus.Instance));
        Assert.Null(PipeGrammar.Format(new RemoteCommands.AddTorrentBytes([1, 2, 3])));
        Assert.Null(PipeGrammar.Format(RemoteCommands.Subscribe.Instance));
        Assert.Null(PipeGrammar.Format(RemoteCommands.Unsubscribe.Instance));
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Every_command_formats_to_a_line_that_reads_back_as_the_same_command(string line, RemoteCommands.IRemoteCommand expected)
    {
        _ = line;
        var formatted = PipeGrammar.Format(expected);

        Assert.NotNull(formatted);
        Assert.Equal(expected, PipeGrammar.Parse(formatted).Parsed);
    }
}
