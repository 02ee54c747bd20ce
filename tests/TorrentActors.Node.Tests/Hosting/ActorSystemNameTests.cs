using System.Reflection;
using TorrentActors.Actors;
using TorrentActors.Contracts.Remote;
using TorrentActors.Node.Hosting;
using Xunit;

namespace TorrentActors.Node.Tests.Hosting;

/// <summary>The actor system's name is part of every node address: the node and its clients take it from one place.</summary>
public sealed class ActorSystemNameTests
{
    [Fact]
    public void The_actor_system_name_is_defined_once_in_the_remote_protocol()
    {
        var assemblies = new[] { typeof(RemoteProtocol).Assembly, typeof(NodeActorsHosting).Assembly, typeof(NodeHost).Assembly };

        var definitions = assemblies
            .SelectMany(assembly => assembly.GetTypes())
            .SelectMany(type => type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(field => field.IsLiteral && Equals(field.GetRawConstantValue(), RemoteProtocol.SystemName))
            .Select(field => field.DeclaringType!.FullName + "." + field.Name);

        Assert.Equal([typeof(RemoteProtocol).FullName + "." + nameof(RemoteProtocol.SystemName)], definitions);
    }
}
