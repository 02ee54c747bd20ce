using TorrentActors.Actors.Parsing;
using TorrentActors.Contracts;
using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Remote;
using Xunit;

namespace TorrentActors.Actors.Tests.Parsing;

public class InstructionParserTests
{
    private const string TorrentDir = "/srv/torrents";
    private const string WorkDir = "/home/me";

    private static ParseResult Parse(string line) => InstructionParser.Parse(line, TorrentDir, WorkDir);

    [Fact]
    public void File_lines_go_to_the_maker_with_a_full_path()
    {
        var seed = Assert.IsType<InstructionCommands.SeedPath>(Parse("file:/data/movie.mkv").Instruction);
        Assert.Equal("/data/movie.mkv", seed.Path);
        Assert.Equal("file:/data/movie.mkv", seed.Command);
        Assert.Equal("/home/me/clip.mp4", Assert.IsType<InstructionCommands.SeedPath>(Parse("file:clip.mp4").Instruction).Path);
    }

    [Theory]
    [InlineData("torrent:http://127.0.0.1:6969/torrents/a.torrent")]
    [InlineData("torrent:https://example.org/a.torrent")]
    [InlineData("torrent:HTTP://127.0.0.1/a.torrent")]
    public void Http_torrents_go_to_the_http_fetcher(string line)
    {
        var fetch = Assert.IsType<InstructionCommands.FetchTorrentUrl>(Parse(line).Instruction);
        Assert.Equal(line["torrent:".Length..].ToLowerInvariant(), fetch.Url.ToString().ToLowerInvariant());
    }

    [Fact]
    public void Relative_torrent_paths_resolve_against_the_torrent_folder()
    {
        Assert.Equal("/srv/torrents/a.torrent", Assert.IsType<InstructionCommands.FetchTorrentFile>(Parse("torrent:a.torrent").Instruction).Path);
        Assert.Equal("/tmp/b.torrent", Assert.IsType<InstructionCommands.FetchTorrentFile>(Parse("torrent:/tmp/b.torrent").Instruction).Path);
    }

    [Fact]
    public void Id_commands_carry_the_id()
    {
        Assert.Equal(new TorrentId(3), Assert.IsType<InstructionCommands.StopTorrent>(Parse("stop:3").Instruction).Id);
        Assert.Equal(new TorrentId(12), Assert.IsType<InstructionCommands.StartTorrent>(Parse("start:12").Instruction).Id);
        Assert.Equal(new TorrentId(1), Assert.IsType<InstructionCommands.RemoveTorrent>(Parse("remove:1").Instruction).Id);
        Assert.IsType<InstructionCommands.ReportStatus>(Parse("status").Instruction);
    }

    [Fact]
    public void Surrounding_whitespace_and_carriage_returns_are_trimmed()
    {
        var seed = Assert.IsType<InstructionCommands.SeedPath>(Parse("  file:/data/a.bin \r").Instruction);
        Assert.Equal("/data/a.bin", seed.Path);
        Assert.Equal("file:/data/a.bin", seed.Command);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r")]
    public void Empty_lines_are_ignored(string line) => Assert.Same(ParseResult.Empty, Parse(line));

    [Theory]
    [InlineData("hello", "unknown command")]
    [InlineData("FILE:/a", "unknown command")]
    [InlineData("file:", "no path given")]
    [InlineData("torrent:", "no path given")]
    [InlineData("torrent:ftp://host/a.torrent", "only http:// and https://")]
    [InlineData("torrent:http://", "not a valid http(s) URL")]
    [InlineData("stop:abc", "positive whole number")]
    [InlineData("stop:0", "positive whole number")]
    [InlineData("remove:-1", "positive whole number")]
    [InlineData("start:99999999999", "positive whole number")]
    [InlineData("file:/a\0b", "NUL")]
    public void Anything_else_is_an_error_that_names_the_command(string line, string reason)
    {
        var result = Parse(line);
        Assert.Null(result.Instruction);
        Assert.Equal(line.Trim(), result.Command);
        Assert.Contains(reason, result.Error);
    }

    [Theory]
    [InlineData("file:/data/movie.mkv")]
    [InlineData("file:clip.mp4")]
    [InlineData("file:")]
    [InlineData("torrent:a.torrent")]
    [InlineData("torrent:http://127.0.0.1:6969/torrents/a.torrent")]
    [InlineData("torrent:http://")]
    [InlineData("torrent:ftp://host/a.torrent")]
    [InlineData("stop:3")]
    [InlineData("start:12")]
    [InlineData("remove:1")]
    [InlineData("status")]
    public void A_remote_command_resolves_like_its_line_and_carries_its_request(string line)
    {
        var request = RequestId.New();
        var fromStdin = Parse(line);

        var remote = InstructionParser.Resolve(PipeGrammar.Parse(line).Parsed!, request, TorrentDir, WorkDir);

        Assert.Equal(fromStdin.Command, remote.Command);
        Assert.Equal(fromStdin.Error, remote.Error);
        Assert.Equal(fromStdin.Instruction is null ? null : WithRequest(fromStdin.Instruction, request), remote.Instruction);
        Assert.Equal(RequestId.None, fromStdin.Instruction?.Request ?? RequestId.None);
    }

    [Fact]
    public void Remote_commands_are_checked_as_strictly_as_lines()
    {
        var request = RequestId.New();
        ParseResult Resolve(RemoteCommands.IRemoteCommand command) => InstructionParser.Resolve(command, request, TorrentDir, WorkDir);

        Assert.Equal(new InstructionCommands.SeedPath("file: /data/a.bin", "/data/a.bin", request), Resolve(new RemoteCommands.SeedFile(" /data/a.bin")).Instruction);
        Assert.Equal(ParseResult.Fail("stop:0", PipeGrammar.InvalidId), Resolve(new RemoteCommands.StopTorrent(0)));
        Assert.Equal(ParseResult.Fail("remove:-5", PipeGrammar.InvalidId), Resolve(new RemoteCommands.RemoveTorrent(-5)));
        Assert.Equal(ParseResult.Fail("file:/a\0b", "the path contains a NUL character"), Resolve(new RemoteCommands.SeedFile("/a\0b")));
        Assert.Equal(
            new InstructionCommands.FetchTorrentFile("torrent:b.torrent", "/srv/torrents/b.torrent", request),
            Resolve(new RemoteCommands.AddTorrentUrl("b.torrent")).Instruction);
        Assert.Equal(ParseResult.Fail("torrent:ftp://h/x", "only http:// and https:// URLs can be fetched"), Resolve(new RemoteCommands.AddTorrentUrl("ftp://h/x")));
        Assert.Equal(PipeGrammar.UnknownCommand, Resolve(RemoteCommands.Subscribe.Instance).Error);
    }

    private static InstructionCommands.IInstruction WithRequest(InstructionCommands.IInstruction instruction, RequestId request) => instruction switch
    {
        InstructionCommands.SeedPath seed => seed with { Request = request },
        InstructionCommands.FetchTorrentUrl url => url with { Request = request },
        InstructionCommands.FetchTorrentFile file => file with { Request = request },
        InstructionCommands.StopTorrent stop => stop with { Request = request },
        InstructionCommands.StartTorrent start => start with { Request = request },
        InstructionCommands.RemoveTorrent remove => remove with { Request = request },
        InstructionCommands.ReportStatus status => status with { Request = request },
        _ => throw new ArgumentOutOfRangeException(nameof(instruction), instruction.GetType().Name, "not an instruction of the pipe protocol"),
    };
}
