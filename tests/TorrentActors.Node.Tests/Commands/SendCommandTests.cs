using TorrentActors.Contracts.Instructions;
using TorrentActors.Contracts.Remote;
using TorrentActors.Node.Commands;
using Xunit;

namespace TorrentActors.Node.Tests.Commands;

/// <summary><c>send</c> reads its lines with the node's grammar; only <c>--upload</c> adds something of its own.</summary>
public sealed class SendCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("torrentactors-send-cmd-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("file:/data/a.bin")]
    [InlineData("file:relative.bin")]
    [InlineData("torrent:http://127.0.0.1:6969/torrents/a.torrent")]
    [InlineData("torrent:x.torrent")]
    [InlineData("torrent:ftp://host/x.torrent")]
    [InlineData("stop:2")]
    [InlineData("start:3")]
    [InlineData("remove:4")]
    [InlineData("status")]
    [InlineData("stop:x")]
    [InlineData("jump")]
    public void Lines_become_the_commands_the_nodes_grammar_reads(string line)
    {
        var read = PipeGrammar.Parse(line);

        var command = SendCommand.ToRemote(line, upload: false, out var error);

        Assert.Equal(read.Parsed, command);
        Assert.Equal(read.Error, error);
    }

    [Fact]
    public void With_upload_a_torrent_path_is_read_here_and_its_bytes_are_sent()
    {
        var path = Path.Combine(_root, "x.torrent");
        byte[] bytes = [(byte)'d', 1, 2, 3, (byte)'e'];
        File.WriteAllBytes(path, bytes);

        var upload = Assert.IsType<RemoteCommands.AddTorrentBytes>(SendCommand.ToRemote("torrent:" + path, upload: true, out var error));

        Assert.Null(error);
        Assert.Equal(bytes, upload.TorrentBytes.ToArray());
        Assert.Equal(new RemoteCommands.AddTorrentUrl("http://h/x.torrent"), SendCommand.ToRemote("torrent:http://h/x.torrent", upload: true, out _));
        Assert.Equal(new RemoteCommands.AddTorrentPath("ftp://h/x.torrent"), SendCommand.ToRemote("torrent:ftp://h/x.torrent", upload: true, out _));
        Assert.Equal(new RemoteCommands.SeedFile(path), SendCommand.ToRemote("file:" + path, upload: true, out _));
        Assert.Null(SendCommand.ToRemote("torrent:" + Path.Combine(_root, "missing.torrent"), upload: true, out var missing));
        Assert.StartsWith("cannot read " + Path.Combine(_root, "missing.torrent"), missing);
    }
}
