namespace TorrentActors.Engine.PeerWire;

public static class PeerWireConstants
{
    /// <summary>Block size every client uses (BEP 3 recommends 2^14; larger requests are refused).</summary>
    public const int BlockSize = 16 * 1024;

    /// <summary>Largest message body we accept for a piece: id + index + begin + one block.</summary>
    public const int MaxPieceMessageLength = 1 + 8 + BlockSize;

    /// <summary>Largest extended (BEP 10) message body we buffer.</summary>
    public const int MaxExtendedMessageLength = 1024 * 1024;

    /// <summary>Largest body of an id we don't know; it is skipped but still bounded.</summary>
    public const int MaxUnknownMessageLength = 64 * 1024;
}
