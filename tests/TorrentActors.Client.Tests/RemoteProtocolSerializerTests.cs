using System.Collections.Immutable;
using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.TestKit.Xunit2;
using TorrentActors.Client;
using TorrentActors.Contracts.Remote;
using Xunit;

namespace TorrentActors.Client.Tests;

public sealed class RemoteProtocolSerializerTests : TestKit
{
    private const string Hash = "0123456789abcdef0123456789abcdef01234567";

    /// <summary>One sample of every remote message type (a test checks none is missing).</summary>
    public static readonly IRemoteProtocolMessage[] Samples =
    [
        new RemoteCommands.SeedFile("/data/movie ünïcode.mkv"),
        new RemoteCommands.AddTorrentUrl("https://127.0.0.1:8443/a.torrent?x=1&y=2"),
        new RemoteCommands.AddTorrentPath("relative/b.torrent"),
        new RemoteCommands.AddTorrentBytes([0, 1, 2, 254, 255, (byte)'d', (byte)'e']),
        new RemoteCommands.StopTorrent(1),
        new RemoteCommands.StartTorrent(2),
        new RemoteCommands.RemoveTorrent(int.MaxValue),
        RemoteCommands.GetStatus.Instance,
        RemoteCommands.Subscribe.Instance,
        RemoteCommands.Unsubscribe.Instance,
        new RemoteReplies.TorrentAdded("file:/data/a", 4, "a", Hash),
        new RemoteReplies.CommandAccepted("stop:4"),
        new RemoteReplies.CommandApplied("stop:4", 4, "a:b.bin", "stopped"),
        new RemoteReplies.CommandFailed("torrent:x", "no such file"),
        new RemoteReplies.StatusReport([new RemoteEvents.TorrentProgress(1, "a", -1, Hash, "stopped"), new RemoteEvents.TorrentProgress(2, "b:c", 100, Hash, "seeding")]),
        new RemoteReplies.Subscribed([]),
        RemoteReplies.Unsubscribed.Instance,
        new RemoteEvents.TorrentProgress(3, "name with\nnewline", 57, Hash, "downloading"),
        new RemoteEvents.TorrentCompleted(3, "c", Hash),
        new RemoteEvents.NodeError("bogus", "unknown command"),
        new RemoteEvents.TorrentRemoved(9),
        new RemoteEvents.CommandAnswered(9, "a:b.bin", "removed", "remove:9"),
        new RemoteEvents.TorrentProgress(4, "d", 100, Hash, "elsewhere", new RemoteEvents.ReplicaInfo(2, true, [new("n1", 100, true, true), new("n2", 40, false, false)])),
        new RemoteEvents.ReplicaChanged(4, "d", "healed", "n2", "2 complete copies on n1, n3"),
    ];

    [Fact]
    public void A_single_nodes_progress_carries_no_replicas_field_so_its_bytes_are_what_they_were()
    {
        var serializer = new RemoteProtocolSerializer((ExtendedActorSystem)Sys);

        var json = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(new RemoteEvents.TorrentProgress(1, "a", 5, Hash, "downloading")));

        Assert.DoesNotContain("replicas", json, StringComparison.OrdinalIgnoreCase);
    }

    public static TheoryData<int> SampleIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < Samples.Length; i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Fact]
    public void The_samples_cover_every_message_type()
    {
        Assert.Equal(
            RemoteProtocol.Manifests.Keys.OrderBy(t => t.FullName),
            Samples.Select(s => s.GetType()).Distinct().OrderBy(t => t.FullName));
    }

    [Theory]
    [MemberData(nameof(SampleIndexes))]
    public void Every_message_survives_a_round_trip(int index)
    {
        var message = Samples[index];
        var serializer = new RemoteProtocolSerializer((ExtendedActorSystem)Sys);

        var manifest = serializer.Manifest(message);
        var bytes = serializer.ToBinary(message);
        var back = serializer.FromBinary(bytes, manifest);

        Assert.Equal(message.GetType(), back.GetType());
        Assert.Equal(bytes, serializer.ToBinary(back));
        switch (message)
        {
            case RemoteCommands.AddTorrentBytes add:
                Assert.Equal(add.TorrentBytes.ToArray(), ((RemoteCommands.AddTorrentBytes)back).TorrentBytes.ToArray());
                break;
            case RemoteReplies.StatusReport report:
                Assert.Equal(report.Torrents.ToArray(), ((RemoteReplies.StatusReport)back).Torrents.ToArray());
                break;
            case RemoteReplies.Subscribed subscribed:
                Assert.Equal(subscribed.Torrents.ToArray(), ((RemoteReplies.Subscribed)back).Torrents.ToArray());
                break;
            default:
                Assert.Equal(message, back);
                break;
        }
    }

    [Fact]
    public void Messages_without_data_come_back_as_the_same_instance()
    {
        var serializer = new RemoteProtocolSerializer((ExtendedActorSystem)Sys);

        Assert.Empty(serializer.ToBinary(RemoteCommands.Subscribe.Instance));
        Assert.Same(RemoteCommands.Subscribe.Instance, serializer.FromBinary([], "subscribe-v1"));
        Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "subscribe-v1"));
    }

    [Fact]
    public void Bytes_travel_as_base64()
    {
        var serializer = new RemoteProtocolSerializer((ExtendedActorSystem)Sys);

        var json = Encoding.UTF8.GetString(serializer.ToBinary(new RemoteCommands.AddTorrentBytes([1, 2, 3])));

        Assert.Equal("""{"TorrentBytes":"AQID"}""", json);
    }

    [Fact]
    public void An_unknown_manifest_is_a_serialization_exception()
    {
        var serializer = new RemoteProtocolSerializer((ExtendedActorSystem)Sys);

        var ex = Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), "seed-v99"));

        Assert.Contains("unknown manifest", ex.Message);
    }

    [Theory]
    [InlineData("seed-v1", "{")]
    [InlineData("seed-v1", "{}")]
    [InlineData("seed-v1", """{"Path":null}""")]
    [InlineData("seed-v1", """{"Path":"a","$type":"System.IO.FileInfo"}""")]
    [InlineData("stop-v1", """{"Id":"1"}""")]
    [InlineData("add-bytes-v1", """{"TorrentBytes":"not base64!"}""")]
    [InlineData("status-report-v1", "null")]
    public void A_malformed_body_is_a_serialization_exception(string manifest, string body)
    {
        var serializer = new RemoteProtocolSerializer((ExtendedActorSystem)Sys);

        Assert.Throws<SerializationException>(() => serializer.FromBinary(Encoding.UTF8.GetBytes(body), manifest));
    }

    [Fact]
    public void A_type_outside_the_protocol_is_not_serialized()
    {
        var serializer = new RemoteProtocolSerializer((ExtendedActorSystem)Sys);

        Assert.Throws<SerializationException>(() => serializer.ToBinary("just a string"));
        Assert.Throws<SerializationException>(() => serializer.Manifest(ImmutableArray<int>.Empty));
    }
}
