using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace TorrentActors.Client;

/// <summary>Bytes as one base64 string (System.Text.Json would write an array of numbers); shared by our JSON serializers.</summary>
public sealed class Base64BytesConverter : JsonConverter<ImmutableArray<byte>>
{
    public override ImmutableArray<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ImmutableCollectionsMarshal.AsImmutableArray(reader.GetBytesFromBase64());

    public override void Write(Utf8JsonWriter writer, ImmutableArray<byte> value, JsonSerializerOptions options) =>
        writer.WriteBase64StringValue(value.AsSpan());
}
