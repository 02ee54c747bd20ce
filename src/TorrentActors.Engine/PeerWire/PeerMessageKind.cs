namespace TorrentActors.Engine.PeerWire;

/// <summary>Message ids on the peer wire: BEP 3 (0-8), DHT port (9), BEP 6 fast extension (13-17), BEP 10 extended (20).</summary>
public enum PeerMessageKind : byte
{
    Choke = 0,
    Unchoke = 1,
    Interested = 2,
    NotInterested = 3,
    Have = 4,
    Bitfield = 5,
    Request = 6,
    Piece = 7,
    Cancel = 8,
    Port = 9,
    Suggest = 13,
    HaveAll = 14,
    HaveNone = 15,
    Reject = 16,
    AllowedFast = 17,
    Extended = 20,

    /// <summary>A zero-length message (no id byte on the wire).</summary>
    KeepAlive = 255,

    /// <summary>An id we do not know; its payload is skipped.</summary>
    Unknown = 254,
}
