using System.Reflection;
using System.Text.RegularExpressions;
using TorrentActors.Contracts.Remote;
using Xunit;

namespace TorrentActors.Contracts.Tests.Remote;

public sealed partial class RemoteProtocolTests
{
    private static readonly Type[] MessageTypes = typeof(IRemoteProtocolMessage).Assembly.GetTypes()
        .Where(t => typeof(IRemoteProtocolMessage).IsAssignableFrom(t) && !t.IsInterface)
        .ToArray();

    [Fact]
    public void Every_remote_message_type_has_a_manifest_and_every_manifest_a_type()
    {
        Assert.Equal(MessageTypes.OrderBy(t => t.FullName), RemoteProtocol.Manifests.Keys.OrderBy(t => t.FullName));
    }

    [Fact]
    public void Manifests_are_short_unique_and_versioned()
    {
        var manifests = RemoteProtocol.Manifests.Values.ToList();
        Assert.Equal(manifests.Count, manifests.Distinct(StringComparer.Ordinal).Count());
        Assert.All(manifests, m => Assert.Matches(ManifestPattern(), m));
    }

    [Fact]
    public void Remote_messages_are_sealed_records_without_setters()
    {
        Assert.All(MessageTypes, type =>
        {
            Assert.True(type.IsSealed, $"{type.Name} is not sealed");
            Assert.NotNull(type.GetMethod("<Clone>$"));
            var settable = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                .Where(p => p.SetMethod is { IsPublic: true } setter
                            && !setter.ReturnParameter.GetRequiredCustomModifiers().Any(m => m.Name == "IsExternalInit"));
            Assert.Empty(settable);
            var arrays = type.GetProperties().Where(p => p.PropertyType.IsArray);
            Assert.Empty(arrays);
        });
    }

    [Fact]
    public void Commands_become_the_lines_of_the_pipe_protocol()
    {
        Assert.Equal("file:/data/a b", RemoteCommands.ToLine(new RemoteCommands.SeedFile("/data/a b")));
        Assert.Equal("torrent:http://127.0.0.1:8080/x.torrent", RemoteCommands.ToLine(new RemoteCommands.AddTorrentUrl("http://127.0.0.1:8080/x.torrent")));
        Assert.Equal("torrent:x.torrent", RemoteCommands.ToLine(new RemoteCommands.AddTorrentPath("x.torrent")));
        Assert.Equal("stop:3", RemoteCommands.ToLine(new RemoteCommands.StopTorrent(3)));
        Assert.Equal("start:12", RemoteCommands.ToLine(new RemoteCommands.StartTorrent(12)));
        Assert.Equal("remove:7", RemoteCommands.ToLine(new RemoteCommands.RemoveTorrent(7)));
        Assert.Equal("status", RemoteCommands.ToLine(RemoteCommands.GetStatus.Instance));
        Assert.Null(RemoteCommands.ToLine(new RemoteCommands.AddTorrentBytes([1, 2, 3])));
        Assert.Null(RemoteCommands.ToLine(RemoteCommands.Subscribe.Instance));
    }

    [Fact]
    public void A_torrent_sent_as_bytes_fits_the_default_frame_after_base64()
    {
        var base64 = (RemoteProtocol.MaxTorrentBytes + 2) / 3 * 4;
        Assert.True(base64 + 1024 < RemoteProtocol.DefaultMaxFrameBytes);
    }

    [GeneratedRegex("^[a-z][a-z-]{1,20}-v[0-9]+$")]
    private static partial Regex ManifestPattern();
}
