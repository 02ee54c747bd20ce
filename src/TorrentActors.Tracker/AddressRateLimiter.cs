using System.Collections.Concurrent;

namespace TorrentActors.Tracker;

/// <summary>
/// A token bucket per client address (port ignored): <c>rate</c> requests per second on average, bursts up to
/// <c>burst</c>. The table is bounded: beyond <see cref="MaxAddresses"/> entries, idle (full) buckets are dropped,
/// and if that is not enough the table is cleared (a flood of spoofed sources then gets a fresh burst, never memory).
/// </summary>
internal sealed class AddressRateLimiter(double ratePerSecond, int burst, TimeProvider clock, bool exemptLoopback = false)
{
    public const int MaxAddresses = 100_000;

    private readonly ConcurrentDictionary<PeerEndpoint, Bucket> _buckets = new();
    private readonly double _tokensPerTick = ratePerSecond / TimeSpan.TicksPerSecond;
    private int _pruning;

    public bool Enabled => ratePerSecond > 0;

    public int TrackedAddresses => _buckets.Count;

    /// <summary>Takes a token for this address; false when it is over its rate.</summary>
    public bool TryAcquire(PeerEndpoint source)
    {
        if (!Enabled || (exemptLoopback && source.IsLoopback))
        {
            return true;
        }

        var now = clock.GetUtcNow().UtcTicks;
        var key = source.WithPort(0);
        if (!_buckets.TryGetValue(key, out var bucket))
        {
            if (_buckets.Count >= MaxAddresses)
            {
                Prune(now);
            }

            bucket = _buckets.GetOrAdd(key, _ => new Bucket(burst, now));
        }

        lock (bucket)
        {
            bucket.Tokens = Math.Min(burst, bucket.Tokens + (now - bucket.Updated) * _tokensPerTick);
            bucket.Updated = now;
            if (bucket.Tokens < 1)
            {
                return false;
            }

            bucket.Tokens -= 1;
            return true;
        }
    }

    private void Prune(long now)
    {
        if (Interlocked.Exchange(ref _pruning, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var (key, bucket) in _buckets)
            {
                lock (bucket)
                {
                    if (bucket.Tokens + (now - bucket.Updated) * _tokensPerTick >= burst)
                    {
                        _buckets.TryRemove(key, out _);
                    }
                }
            }

            if (_buckets.Count >= MaxAddresses * 9 / 10)
            {
                _buckets.Clear();
            }
        }
        finally
        {
            Volatile.Write(ref _pruning, 0);
        }
    }

    private sealed class Bucket(double tokens, long updated)
    {
        public double Tokens = tokens;
        public long Updated = updated;
    }
}
