using System.Collections.Immutable;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using TorrentActors.Actors.Cluster;
using TorrentActors.Actors.Registry;
using TorrentActors.Actors.Remote;
using TorrentActors.Client;
using Xunit;

namespace TorrentActors.Actors.Tests.Cluster;

public sealed class ClusterSerializerTests : TestKit
{
    private const string Hash = "0123456789abcdef0123456789abcdef01234567";

    private static readonly CatalogEntry Entry = new(3, Hash, "movie ünï:code", 1L << 40, 2, "node-a", null, ReplicaGoal.Removed, 17);

    /// <summary>One sample of every cluster message type (a test checks none is missing).</summary>
    public static readonly IClusterMessage[] Samples =
    [
        Entry,
        Entry with { SeededInPlaceBy = "node-b", Goal = ReplicaGoal.Running },
        new TorrentMetainfo(Hash, [0, 1, 2, 254, 255]),
        new MemberHoldings("node-a", "127.0.0.1", 6881, ImmutableSortedDictionary<string, Holding>.Empty.Add(Hash, new Holding(57, false, true))),
        new CatalogCommands.AddTorrent(Hash, "a", 5, [100, 101, 0], 2, "node-a", "node-a", "file:/data/a"),
        new CatalogCommands.AddTorrent(Hash, "a", 5, [100], 3, "node-a", null, "torrent:x"),
        new CatalogCommands.StopTorrent(1, "stop:1"),
        new CatalogCommands.StartTorrent(2, "start:2"),
        new CatalogCommands.RemoveTorrent(int.MaxValue, "remove:2147483647"),
        new CatalogReplies.Succeeded(Entry, Created: true),
        new CatalogReplies.Failed("no torrent with ID 4"),
    ];

    public static TheoryData<int> SampleIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    private ClusterSerializer Serializer => new((ExtendedActorSystem)Sys);

    [Fact]
    public void The_samples_cover_every_message_type()
    {
        Assert.Equal(
            ClusterSerializer.Manifests.Keys.OrderBy(t => t.FullName),
            Samples.Select(s => s.GetType()).Distinct().OrderBy(t => t.FullName));
    }

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void Every_cluster_message_survives_a_round_trip(int index)
    {
        var sample = Samples[index];
        var serializer = Serializer;

        var back = serializer.FromBinary(serializer.ToBinary(sample), serializer.Manifest(sample));

        // Records with collections compare by reference; their JSON says whether they are the same.
        Assert.Equal(Encoding.UTF8.GetString(serializer.ToBinary(sample)), Encoding.UTF8.GetString(serializer.ToBinary(back)));
        Assert.Equal(sample.GetType(), back.GetType());
        if (sample is CatalogEntry or CatalogCommands.StopTorrent or CatalogReplies.Failed)
        {
            Assert.Equal(sample, back);
        }
    }

    [Fact]
    public void Entries_name_their_goal_as_a_word()
    {
        Assert.Contains("\"Goal\":\"Removed\"", Encoding.UTF8.GetString(Serializer.ToBinary(Entry)), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_manifest_a_malformed_body_or_a_foreign_type_is_a_serialization_error()
    {
        var serializer = Serializer;

        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "zz"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("{\"Id\":1}"u8.ToArray(), "ce"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("not json"u8.ToArray(), "ks"));
        Assert.Throws<SerializationException>(() => serializer.ToBinary("a string"));
        Assert.Throws<SerializationException>(() => serializer.Manifest(new Holding(1, false, false)));
    }

    [Fact]
    public void The_node_serializers_have_identifiers_of_their_own()
    {
        int[] identifiers = [ClusterSerializer.SerializerId, RegistrySerializer.SerializerId, RemoteProtocolSerializer.SerializerId, RefusingSerializer.NewtonsoftIdentifier];

        Assert.Equal(identifiers.Length, identifiers.Distinct().Count());
    }
}
