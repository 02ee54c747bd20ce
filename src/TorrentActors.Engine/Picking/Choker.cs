namespace TorrentActors.Engine.Picking;

/// <summary>What the choker needs to know about one connected peer.</summary>
public readonly record struct ChokeCandidate(int Peer, bool Interested, long DownloadRate, long UploadRate);

/// <summary>
/// Tit-for-tat choking (BEP 3): every tick the <see cref="Slots"/> interested peers that give us the most
/// (downloading) or take the most (seeding, ties rotated round robin) are unchoked, plus one optimistic
/// slot that moves to a random other interested peer every <see cref="OptimisticInterval"/>.
/// Pure: the caller supplies the time and the peers.
/// </summary>
public sealed class Choker(int slots, TimeSpan optimisticInterval, Random? random = null)
{
    private readonly Random _random = random ?? new Random();
    private TimeSpan _optimisticSince = TimeSpan.MinValue;
    private int _roundRobin;

    public Choker(int slots = 4)
        : this(slots, TimeSpan.FromSeconds(30))
    {
    }

    public int Slots { get; } = slots;

    public TimeSpan OptimisticInterval { get; } = optimisticInterval;

    public int? Optimistic { get; private set; }

    /// <summary>Returns the peers to have unchoked from now on; everyone else is choked.</summary>
    public IReadOnlySet<int> Decide(IReadOnlyList<ChokeCandidate> peers, bool seeding, TimeSpan now)
    {
        var interested = peers.Where(p => p.Interested).ToList();
        List<ChokeCandidate> ordered;
        if (seeding)
        {
            // Rotate the starting point so equal-rate peers take turns.
            _roundRobin++;
            ordered = interested
                .Select((p, i) => (p, key: (i + _roundRobin) % Math.Max(1, interested.Count)))
                .OrderByDescending(x => x.p.UploadRate)
                .ThenBy(x => x.key)
                .Select(x => x.p)
                .ToList();
        }
        else
        {
            ordered = interested.OrderByDescending(p => p.DownloadRate).ThenBy(p => p.Peer).ToList();
        }

        var unchoked = new HashSet<int>(ordered.Take(Slots).Select(p => p.Peer));
        var others = interested.Where(p => !unchoked.Contains(p.Peer)).ToList();
        var keep = Optimistic is { } current && others.Any(p => p.Peer == current) && now - _optimisticSince < OptimisticInterval;
        if (!keep)
        {
            Optimistic = null;
            if (others.Count > 0)
            {
                Optimistic = others[_random.Next(others.Count)].Peer;
                _optimisticSince = now;
            }
        }

        if (Optimistic is { } optimistic)
        {
            unchoked.Add(optimistic);
        }

        return unchoked;
    }
}
