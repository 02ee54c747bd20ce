using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using TorrentActors.Client;

namespace TorrentActors.Actors.Registry;

/// <summary>
/// JSON (System.Text.Json) for what the registry stores, named by short manifests, so the journal reads the same
/// whichever .NET types hold it later. An unknown manifest or a malformed body is a <see cref="SerializationException"/>.
/// </summary>
public sealed class RegistrySerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7302;

    public const string SerializerName = "torrent-registry-v1";

    private static readonly JsonSerializerOptions Options = new()
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        MaxDepth = 8,
        Converters = { new Base64BytesConverter() },
    };

    private static readonly FrozenDictionary<Type, string> Manifests = new Dictionary<Type, string>
    {
        [typeof(RegistryEvents.TorrentAdded)] = "added",
        [typeof(RegistryEvents.TorrentStopped)] = "stopped",
        [typeof(RegistryEvents.TorrentStarted)] = "started",
        [typeof(RegistryEvents.TorrentRemoved)] = "removed",
        [typeof(RegistrySnapshot)] = "snapshot",
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, Type> TypesByManifest = Manifests.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().FullName} is not stored by the registry");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), Options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypesByManifest.TryGetValue(manifest, out var type))
        {
            throw new SerializationException($"unknown registry manifest '{manifest}'");
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, type, Options) ?? throw new SerializationException($"registry '{manifest}' was null");
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"registry '{manifest}' is malformed: {ex.Message}", ex);
        }
    }
}
