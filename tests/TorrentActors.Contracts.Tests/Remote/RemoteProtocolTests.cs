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
    public void A_torrent_sent_as_bytes_fits_the_default_frame_after_base64()
    {
        var base64 = (RemoteProtocol.MaxTorrentBytes + 2) / 3 * 4;
        Assert.True(base64 + 1024 < RemoteProtocol.DefaultMaxFrameBytes);
    }

    [GeneratedRegex("^[a-z][a-z-]{1,20}-v[0-9]+$")]
    private static partial Regex ManifestPattern();
}
