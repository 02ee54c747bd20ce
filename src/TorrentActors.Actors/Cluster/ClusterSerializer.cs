using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using TorrentActors.Client;

namespace TorrentActors.Actors.Cluster;

/// <summary>
/// JSON (System.Text.Json) for every <see cref="IClusterMessage"/>: what members send each other and what distributed
/// data stores in the catalog's entries, each type named by a short manifest of <see cref="Manifests"/>. An unknown
/// type or manifest, or a malformed body, is a <see cref="SerializationException"/>.
/// </summary>
public sealed class ClusterSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7303;

    public const string SerializerName = "torrent-cluster-v1";

    /// <summary>Every cluster message type and its manifest; a new type needs a line here (and a round-trip test).</summary>
    public static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(CatalogEntry)] = "ce",
        [typeof(TorrentMetainfo)] = "tm",
        [typeof(MemberHoldings)] = "mh",
        [typeof(CatalogCommands.AddTorrent)] = "ka",
        [typeof(CatalogCommands.StopTorrent)] = "ks",
        [typeof(CatalogCommands.StartTorrent)] = "kt",
        [typeof(CatalogCommands.RemoveTorrent)] = "kr",
        [typeof(CatalogReplies.Succeeded)] = "ok",
        [typeof(CatalogReplies.Failed)] = "no",
    }.ToFrozenDictionary();

    /// <summary>The JSON options of the cluster's messages, also those of the catalog's rows in the state database.</summary>
    internal static readonly JsonSerializerOptions Options = new()
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 8,
        Converters = { new Base64BytesConverter(), new JsonStringEnumConverter<ReplicaGoal>(allowIntegerValues: false) },
    };

    private static readonly FrozenDictionary<string, Type> TypesByManifest = Manifests.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().FullName} is not a cluster message");

    public override byte[] ToBinary(object obj)
    {
        var type = obj.GetType();
        return Manifests.ContainsKey(type)
            ? JsonSerializer.SerializeToUtf8Bytes(obj, type, Options)
            : throw new SerializationException($"{type.FullName} is not a cluster message");
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypesByManifest.TryGetValue(manifest, out var type))
        {
            throw new SerializationException($"unknown cluster manifest '{(manifest.Length <= 40 ? manifest : manifest[..40] + "…")}'");
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, type, Options) ?? throw new SerializationException($"'{manifest}' was null");
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"'{manifest}' is malformed: {ex.Message}", ex);
        }
    }
}
