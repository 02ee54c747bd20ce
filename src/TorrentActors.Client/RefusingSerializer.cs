using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;

namespace TorrentActors.Client;

/// <summary>
/// Takes the place of Akka's Newtonsoft JSON serializer (identifier 1). Strict serialization only stops this
/// node from <em>sending</em> unbound types; without this, a peer could still send any type as Newtonsoft JSON
/// and have it built here. Every such message is refused with a <see cref="SerializationException"/>.
/// </summary>
public sealed class RefusingSerializer(ExtendedActorSystem system) : Serializer(system)
{
    public const int NewtonsoftIdentifier = 1;

    /// <summary>Akka passes the <c>serialization-settings.json</c> section along; there is nothing to configure.</summary>
    public RefusingSerializer(ExtendedActorSystem system, Config config)
        : this(system)
    {
        _ = config;
    }

    public override int Identifier => NewtonsoftIdentifier;

    public override bool IncludeManifest => true;

    public override byte[] ToBinary(object obj) =>
        throw new SerializationException($"{obj.GetType().FullName} has no serializer binding; only the remote protocol's messages travel");

    public override object FromBinary(byte[] bytes, Type? type) =>
        throw new SerializationException($"refused a message of unbound type {type?.FullName ?? "(unnamed)"}");
}
