namespace TorrentActors.Engine.Client;

/// <summary>
/// The engine-wide budget for blocks of unfinished pieces kept in memory (<see cref="EngineSettings.MaxBufferedPieceBytes"/>),
/// and the buffers themselves. A piece whose buffer does not fit has its blocks written to disk as they arrive and is
/// read back to be hashed, so what peers choose to leave unfinished costs disk, not memory.
/// <para>
/// Buffers given back are kept for the next piece of the same size (at most the capacity's worth: pieces are large
/// arrays, and renting them fresh for every piece would keep the collector busy), but only while pieces keep coming:
/// once no buffer has been rented or given back for <see cref="IdleTrim"/>, the kept ones are dropped and a full,
/// compacting collection is asked for, so that the process's memory falls back (large arrays live on the large object
/// heap, which the collector neither compacts nor gives back to the system until a full collection runs, and an idle
/// node allocates too little to cause one). Thread safe.
/// </para>
/// </summary>
internal sealed class PieceMemory : IDisposable
{
    /// <summary>How long the kept buffers outlive their last use.</summary>
    public static readonly TimeSpan IdleTrim = TimeSpan.FromSeconds(2);

    /// <summary>Bytes dropped at a trim that are worth a full collection (below it the next ordinary one will do).</summary>
    private const long CollectAbove = 4L * 1024 * 1024;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, Stack<byte[]>> _kept = new();
    private readonly Timer _trimTimer;
    private long _used;
    private long _keptBytes;
    private long _lastUse;
    private int _collections;

    public PieceMemory(long capacity)
    {
        Capacity = capacity;
        _trimTimer = new Timer(static state => ((PieceMemory)state!).TrimIfIdle(), this, IdleTrim, IdleTrim);
    }

    public long Capacity { get; }

    /// <summary>Bytes of piece buffers reserved now.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>Bytes of buffers given back and kept for the next pieces.</summary>
    public long KeptBytes
    {
        get { lock (_gate) { return _keptBytes; } }
    }

    /// <summary>Full collections this budget asked for after dropping its kept buffers (for tests).</summary>
    public int Collections => Volatile.Read(ref _collections);

    /// <summary>A buffer of at least <paramref name="size"/> bytes reserved under the capacity, or null when it does not fit.</summary>
    public byte[]? TryRent(int size)
    {
        lock (_gate)
        {
            if (_used + size > Capacity)
            {
                return null;
            }

            _used += size;
            _lastUse = Environment.TickCount64;
            if (_kept.TryGetValue(size, out var stack) && stack.TryPop(out var buffer))
            {
                _keptBytes -= size;
                return buffer;
            }
        }

        return GC.AllocateUninitializedArray<byte>(size);
    }

    /// <summary>Gives back a buffer of <see cref="TryRent"/> (<paramref name="size"/> as asked) and its reservation.</summary>
    public void Return(byte[] buffer, int size)
    {
        lock (_gate)
        {
            _used -= size;
            _lastUse = Environment.TickCount64;
            if (_keptBytes + size > Capacity)
            {
                return; // more than could ever be in use at once: let the collector have it
            }

            if (!_kept.TryGetValue(size, out var stack))
            {
                _kept[size] = stack = new Stack<byte[]>();
            }

            stack.Push(buffer);
            _keptBytes += size;
        }
    }

    /// <summary>Drops the kept buffers if none was used for <see cref="IdleTrim"/> (the timer's work; also for tests).</summary>
    internal void TrimIfIdle()
    {
        long dropped;
        lock (_gate)
        {
            if (_keptBytes == 0 || Environment.TickCount64 - _lastUse < IdleTrim.TotalMilliseconds)
            {
                return;
            }

            dropped = _keptBytes;
            _kept.Clear();
            _keptBytes = 0;
            if (dropped >= CollectAbove)
            {
                _collections++;
            }
        }

        if (dropped >= CollectAbove)
        {
            Collect();
        }
    }

    /// <summary>
    /// An aggressive full collection: measured with the node (server GC) after a peer left two 16 MiB pieces
    /// unfinished, neither no collection, nor a forced, compacting one with the large object heap compacted, gave
    /// the dropped arrays' memory back to the system (RSS stayed 36-56 MiB up); this one decommits the free regions,
    /// and RSS fell back to where it started within a second.
    /// </summary>
    private static void Collect() => GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    public void Dispose() => _trimTimer.Dispose();
}
