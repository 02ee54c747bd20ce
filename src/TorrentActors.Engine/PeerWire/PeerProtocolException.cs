namespace TorrentActors.Engine.PeerWire;

/// <summary>A peer broke the wire protocol (BEP 3/6/10): the connection is closed.</summary>
public sealed class PeerProtocolException(string reason) : Exception(reason)
{
    public string Reason { get; } = reason;
}
