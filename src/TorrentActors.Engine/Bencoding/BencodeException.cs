namespace TorrentActors.Engine.Bencoding;

/// <summary>Input that is not valid bencode, with the byte offset where decoding stopped.</summary>
public sealed class BencodeException : FormatException
{
    public BencodeException(string reason, long offset)
        : base($"Invalid bencode at byte {offset}: {reason}")
    {
        Reason = reason;
        Offset = offset;
    }

    public string Reason { get; }

    public long Offset { get; }
}
