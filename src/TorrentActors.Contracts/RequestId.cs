namespace TorrentActors.Contracts;

/// <summary>
/// The request a command came from, carried by the command through the node and by each of its outcomes (the torrent
/// it added, the error it met), so the outcome goes back to the one who asked. The remote gateway gives every remote
/// command a new one; lines read from stdin have <see cref="None"/>: nobody waits for them but the stdout reader.
/// </summary>
public readonly record struct RequestId(Guid Value)
{
    public static RequestId None => default;

    public bool IsNone => Value == Guid.Empty;

    /// <summary>A new id, unique however often the gateway restarts (time-ordered, so logs sort by arrival).</summary>
    public static RequestId New() => new(Guid.CreateVersion7());

    public override string ToString() => IsNone ? "stdin" : Value.ToString("N");
}
