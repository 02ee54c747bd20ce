using System.Runtime.Serialization;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using TorrentActors.Actors.Registry;
using Xunit;

namespace TorrentActors.Actors.Tests.Registry;

public class RegistrySerializerTests : TestKit
{
    private RegistrySerializer Serializer => new((ExtendedActorSystem)Sys);

    public static TheoryData<IRegistryPersisted> Stored() =>
    [
        new RegistryEvents.TorrentAdded(3, "a b.bin", new string('c', 40), [0, 1, 255, 7], "/data/x", true, "file:/data/x/a b.bin"),
        new RegistryEvents.TorrentStopped(3),
        new RegistryEvents.TorrentStarted(3),
        new RegistryEvents.TorrentRemoved(3),
        new RegistrySnapshot(9, [new RegistryEntry(4, "n", new string('d', 40), [9, 8], "/dl", false, "torrent:n.torrent", true)]),
    ];

    [Theory]
    [MemberData(nameof(Stored))]
    public void Every_stored_type_round_trips_through_its_short_manifest(IRegistryPersisted stored)
    {
        var manifest = Serializer.Manifest(stored);
        Assert.True(manifest.Length <= 8);
        var back = Serializer.FromBinary(Serializer.ToBinary(stored), manifest);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(stored, stored.GetType()), System.Text.Json.JsonSerializer.Serialize(back, back.GetType()));
        Assert.IsType(stored.GetType(), back);
    }

    [Fact]
    public void Torrent_bytes_are_stored_as_base64()
    {
        var bytes = Serializer.ToBinary(new RegistryEvents.TorrentAdded(1, "n", new string('a', 40), [0xfb, 0xff], "/d", true, "file:/d/n"));
        Assert.Contains("\"+/8=\"", System.Text.Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_manifest_or_a_malformed_body_is_a_serialization_error()
    {
        Assert.Throws<SerializationException>(() => Serializer.FromBinary("{}"u8.ToArray(), "nope"));
        Assert.Throws<SerializationException>(() => Serializer.FromBinary("{not json"u8.ToArray(), "added"));
        Assert.Throws<SerializationException>(() => Serializer.Manifest("a string"));
    }
}
