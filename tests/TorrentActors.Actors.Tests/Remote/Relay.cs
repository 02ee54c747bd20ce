using Akka.Actor;

namespace TorrentActors.Actors.Tests.Remote;

/// <summary>
/// An actor in another (client or node) system that sends for a test and forwards whatever it receives to a probe
/// of the test kit's system (in-process, a local reference works across systems).
/// </summary>
internal sealed class Relay : ReceiveActor
{
    public Relay(IActorRef probe)
    {
        Receive<SendTo>(send => send.Target.Tell(send.Message, Self));
        ReceiveAny(message => probe.Tell(message));
    }

    public static Props Props(IActorRef probe) => Akka.Actor.Props.Create(() => new Relay(probe));

    public sealed record SendTo(ActorSelection Target, object Message);
}
