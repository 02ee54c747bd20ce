namespace TorrentActors.Engine.Client;

/// <summary>
/// The engine-wide budget for blocks of unfinished pieces kept in memory (<see cref="EngineSettings.MaxBufferedPieceBytes"/>).
/// A piece whose buffer does not fit has its blocks written to disk as they arrive and is read back to be hashed, so
/// what peers choose to leave unfinished costs disk, not memory. Thread safe.
/// </summary>
internal sealed class PieceMemory(long capacity)
{
    private long _used;

    public long Capacity { get; } = capacity;

    /// <summary>Bytes of piece buffers reserved now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Reserves <paramref name="bytes"/> if they fit under the capacity.</summary>
    public bool TryReserve(int bytes)
    {
        while (true)
        {
            var used = Interlocked.Read(ref _used);
            if (used + bytes > Capacity)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _used, used + bytes, used) == used)
            {
                return true;
            }
        }
    }

    public void Release(int bytes) => Interlocked.Add(ref _used, -bytes);
}
