using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using TorrentActors.Contracts.Remote;

namespace TorrentActors.Client;

/// <summary>
/// JSON (System.Text.Json) for every <see cref="IRemoteProtocolMessage"/>, named by the short manifests of
/// <see cref="RemoteProtocol.Manifests"/>. An unknown manifest or a malformed body is a <see cref="SerializationException"/>:
/// remoting drops that message and the node keeps running.
/// </summary>
public sealed class RemoteProtocolSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int SerializerId = 7301;

    public const string SerializerName = "torrent-remote-v1";

    private static readonly JsonSerializerOptions Options = new()
    {
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        MaxDepth = 8,
        Converters = { new Base64BytesConverter() },
    };

    private static readonly FrozenDictionary<string, Type> TypesByManifest =
        RemoteProtocol.Manifests.ToFrozenDictionary(pair => pair.Value, pair => pair.Key);

    /// <summary>Messages without data travel as their manifest alone.</summary>
    private static readonly FrozenDictionary<Type, object> Singletons = new Dictionary<Type, object>
    {
        [typeof(RemoteCommands.GetStatus)] = RemoteCommands.GetStatus.Instance,
        [typeof(RemoteCommands.Subscribe)] = RemoteCommands.Subscribe.Instance,
        [typeof(RemoteCommands.Unsubscribe)] = RemoteCommands.Unsubscribe.Instance,
        [typeof(RemoteReplies.Unsubscribed)] = RemoteReplies.Unsubscribed.Instance,
    }.ToFrozenDictionary();

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        RemoteProtocol.Manifests.TryGetValue(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType().FullName} is not a message of the remote protocol");

    public override byte[] ToBinary(object obj)
    {
        var type = obj.GetType();
        if (!RemoteProtocol.Manifests.ContainsKey(type))
        {
            throw new SerializationException($"{type.FullName} is not a message of the remote protocol");
        }

        return Singletons.ContainsKey(type) ? [] : JsonSerializer.SerializeToUtf8Bytes(obj, type, Options);
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!TypesByManifest.TryGetValue(manifest, out var type))
        {
            throw new SerializationException($"unknown manifest '{Shorten(manifest)}' (this node speaks remote protocol v{RemoteProtocol.Version})");
        }

        if (Singletons.TryGetValue(type, out var singleton))
        {
            return bytes.Length == 0 ? singleton : throw new SerializationException($"'{manifest}' carries no data");
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, type, Options)
                   ?? throw new SerializationException($"'{manifest}' was null");
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"'{manifest}' is malformed: {ex.Message}", ex);
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
