using System.Collections.Concurrent;
using System.Net;

namespace TorrentActors.Tracker;

internal enum AnnounceEvent
{
    None = 0,
    Completed = 1,
    Started = 2,
    Stopped = 3,
}

internal enum AnnounceStatus
{
    Ok,
    NotAllowed,
    TrackerFull,
}

/// <summary>One announce, whatever protocol it came over.</summary>
/// <summary>Which address families an announcer gets back (BEP 15 answers in the family the request came over).</summary>
internal enum PeerFamily
{
    Any,
    V4,
    V6,
}

/// <summary>One announce, whatever protocol it came over.</summary>
internal readonly record struct AnnounceRequest(Id20 InfoHash, Id20 PeerId, PeerEndpoint Endpoint, long Left, AnnounceEvent Event, int NumWant,
    PeerFamily Family = PeerFamily.Any);

/// <summary>One tracked peer: 52 bytes (two packed 20-byte parts, the time it was last seen, and its seeder flag).</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Pack = 4)]
internal struct TrackedPeer
{
    public Id20 PeerId;
    public PeerEndpoint Endpoint;
    public long LastSeen;
    public bool IsSeeder;
}

internal readonly record struct SwarmCounts(int Seeders, int Leechers, long Downloaded);

/// <summary>
/// The tracker's state: torrents to peers, in memory. Each swarm has its own lock (held only to update and copy
/// a few peers out); peers that miss announces for <see cref="TrackerOptions.EffectivePeerTimeout"/> are dropped
/// lazily on access and by <see cref="SweepAll"/>; peers, torrents and peers per torrent are capped.
/// </summary>
internal sealed class SwarmStore
{
    private readonly ConcurrentDictionary<Id20, Swarm> _swarms = new();
    private readonly ConcurrentDictionary<Id20, byte>? _allowed;
    private readonly TrackerOptions _options;
    private readonly Action<AnnouncedPeer>? _announced;
    private readonly TimeProvider _clock;
    private readonly long _timeoutTicks;
    private int _peerCount;
    private int _torrentCount;

    /// <param name="announced">Told of every announce recorded, <c>stopped</c> ones excepted, outside the swarm's lock.</param>
    public SwarmStore(TrackerOptions options, Action<AnnouncedPeer>? announced = null)
    {
        _options = options;
        _announced = announced;
        _clock = options.TimeProvider;
        _timeoutTicks = options.EffectivePeerTimeout.Ticks;
        if (options.AllowList is { } allow)
        {
            _allowed = new ConcurrentDictionary<Id20, byte>(allow.Select(h => new KeyValuePair<Id20, byte>(Id20.From(h), 0)));
        }
    }

    public int PeerCount => Volatile.Read(ref _peerCount);

    public int TorrentCount => Volatile.Read(ref _torrentCount);

    public bool IsPrivate => _allowed is not null;

    public bool IsAllowed(Id20 infoHash) => _allowed is null || _allowed.ContainsKey(infoHash);

    /// <summary>Adds an infohash to the allow-list (private mode only).</summary>
    public bool Allow(Id20 infoHash) => _allowed is not null && _allowed.TryAdd(infoHash, 0);

    private long Now => _clock.GetUtcNow().UtcTicks;

    /// <summary>
    /// Records the announce and copies up to <c>NumWant</c> other peers into <paramref name="selected"/>
    /// (starting at a random place in the swarm, the announcing peer left out).
    /// </summary>
    public AnnounceStatus Announce(in AnnounceRequest request, Span<TrackedPeer> selected, out int selectedCount, out SwarmCounts counts)
    {
        var status = Record(request, selected, out selectedCount, out counts);
        if (status == AnnounceStatus.Ok && request.Event != AnnounceEvent.Stopped && _announced is { } announced)
        {
            announced(new AnnouncedPeer(request.InfoHash.ToInfoHash(), new IPEndPoint(request.Endpoint.ToAddress(), request.Endpoint.Port), request.Left == 0));
        }

        return status;
    }

    private AnnounceStatus Record(in AnnounceRequest request, Span<TrackedPeer> selected, out int selectedCount, out SwarmCounts counts)
    {
        selectedCount = 0;
        counts = default;
        if (!IsAllowed(request.InfoHash))
        {
            return AnnounceStatus.NotAllowed;
        }

        var now = Now;
        for (var attempt = 0; attempt < 4; attempt++)
        {
            if (!_swarms.TryGetValue(request.InfoHash, out var swarm))
            {
                if (request.Event == AnnounceEvent.Stopped)
                {
                    return AnnounceStatus.Ok;
                }

                if (TorrentCount >= _options.MaxTorrents)
                {
                    return AnnounceStatus.TrackerFull;
                }

                var created = new Swarm(now);
                swarm = _swarms.GetOrAdd(request.InfoHash, created);
                if (ReferenceEquals(swarm, created))
                {
                    Interlocked.Increment(ref _torrentCount);
                }
            }

            lock (swarm)
            {
                if (swarm.Removed)
                {
                    continue; // Swept away between lookup and lock: look it up again.
                }

                SweepLocked(swarm, now);
                selectedCount = UpdateLocked(swarm, request, now, selected);
                counts = swarm.Counts;
                return AnnounceStatus.Ok;
            }
        }

        return AnnounceStatus.TrackerFull;
    }

    /// <summary>Counts for one torrent; zeros when unknown.</summary>
    public SwarmCounts Scrape(Id20 infoHash)
    {
        if (!_swarms.TryGetValue(infoHash, out var swarm))
        {
            return default;
        }

        lock (swarm)
        {
            SweepLocked(swarm, Now);
            return swarm.Counts;
        }
    }

    /// <summary>Every tracked torrent with its counts, sorted by infohash.</summary>
    public List<(Id20 InfoHash, SwarmCounts Counts)> ScrapeAll()
    {
        var now = Now;
        var result = new List<(Id20, SwarmCounts)>(Math.Min(TorrentCount, _options.MaxTorrents));
        foreach (var (hash, swarm) in _swarms)
        {
            lock (swarm)
            {
                if (!swarm.Removed)
                {
                    SweepLocked(swarm, now);
                    result.Add((hash, swarm.Counts));
                }
            }
        }

        result.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return result;
    }

    /// <summary>Drops expired peers everywhere and forgets torrents left without peers for a whole timeout.</summary>
    public void SweepAll()
    {
        var now = Now;
        foreach (var (hash, swarm) in _swarms)
        {
            lock (swarm)
            {
                SweepLocked(swarm, now, force: true);
                if (swarm.Count == 0 && now - swarm.LastActivity >= _timeoutTicks && !swarm.Removed)
                {
                    swarm.Removed = true;
                    _swarms.TryRemove(new KeyValuePair<Id20, Swarm>(hash, swarm));
                    Interlocked.Decrement(ref _torrentCount);
                }
            }
        }
    }

    private int UpdateLocked(Swarm swarm, in AnnounceRequest request, long now, Span<TrackedPeer> selected)
    {
        swarm.LastActivity = now;
        var existing = swarm.IndexOf(request.PeerId);
        if (request.Event == AnnounceEvent.Stopped)
        {
            if (existing >= 0)
            {
                swarm.RemoveAt(existing);
                Interlocked.Decrement(ref _peerCount);
            }

            return 0;
        }

        var isSeeder = request.Left == 0 || request.Event == AnnounceEvent.Completed;
        if (request.Event == AnnounceEvent.Completed && (existing < 0 || !swarm.Peers[existing].IsSeeder))
        {
            swarm.Downloaded++;
        }

        if (existing >= 0)
        {
            swarm.Update(existing, request.Endpoint, isSeeder, now);
        }
        else if (swarm.Count < _options.MaxPeersPerTorrent && Interlocked.Increment(ref _peerCount) <= _options.MaxPeers)
        {
            swarm.Add(new TrackedPeer { PeerId = request.PeerId, Endpoint = request.Endpoint, IsSeeder = isSeeder, LastSeen = now });
        }
        else if (swarm.Count < _options.MaxPeersPerTorrent)
        {
            Interlocked.Decrement(ref _peerCount); // Over the global cap: undo the optimistic increment.
        }

        return swarm.Select(request.PeerId, request.Endpoint, request.Family, Math.Min(request.NumWant, selected.Length), selected);
    }

    private void SweepLocked(Swarm swarm, long now, bool force = false)
    {
        if (!force && now < swarm.NextSweep)
        {
            return;
        }

        // Sweep a swarm at most every quarter timeout: an expired peer lingers at most that much longer.
        swarm.NextSweep = now + _timeoutTicks / 4;
        var removed = swarm.RemoveOlderThan(now - _timeoutTicks);
        if (removed > 0)
        {
            Interlocked.Add(ref _peerCount, -removed);
        }
    }

    private sealed class Swarm(long now)
    {
        private readonly PeerIndex _index = new();
        private TrackedPeer[] _peers = new TrackedPeer[4];

        public int Count { get; private set; }

        public int SeederCount { get; private set; }

        public long Downloaded { get; set; }

        public long LastActivity { get; set; } = now;

        public long NextSweep { get; set; }

        public bool Removed { get; set; }

        public ReadOnlySpan<TrackedPeer> Peers => _peers.AsSpan(0, Count);

        public SwarmCounts Counts => new(SeederCount, Count - SeederCount, Downloaded);

        public int IndexOf(Id20 peerId) => _index.Find(peerId, Peers);

        public void Add(in TrackedPeer peer)
        {
            if (Count == _peers.Length)
            {
                Array.Resize(ref _peers, _peers.Length * 2);
            }

            _peers[Count] = peer;
            Count++;
            _index.Add(peer.PeerId, Count - 1, Peers);
            if (peer.IsSeeder)
            {
                SeederCount++;
            }
        }

        public void Update(int index, PeerEndpoint endpoint, bool isSeeder, long now)
        {
            ref var peer = ref _peers[index];
            if (peer.IsSeeder != isSeeder)
            {
                SeederCount += isSeeder ? 1 : -1;
            }

            peer.Endpoint = endpoint;
            peer.IsSeeder = isSeeder;
            peer.LastSeen = now;
        }

        /// <summary>Swap-remove: the last peer takes the hole, so the array stays dense for random selection.</summary>
        public void RemoveAt(int index)
        {
            var last = Count - 1;
            if (_peers[index].IsSeeder)
            {
                SeederCount--;
            }

            _index.Remove(_peers[index].PeerId, index, Peers);
            if (index != last)
            {
                _peers[index] = _peers[last];
                _index.Move(_peers[index].PeerId, last, index);
            }

            _peers[last] = default;
            Count--;
            if (_peers.Length > 16 && Count < _peers.Length / 4)
            {
                Array.Resize(ref _peers, _peers.Length / 2);
                _index.Trim(Peers);
            }
        }

        public int RemoveOlderThan(long cutoff)
        {
            var removed = 0;
            for (var i = Count - 1; i >= 0; i--)
            {
                if (_peers[i].LastSeen < cutoff)
                {
                    RemoveAt(i);
                    removed++;
                }
            }

            return removed;
        }

        public int Select(Id20 self, PeerEndpoint selfEndpoint, PeerFamily family, int wanted, Span<TrackedPeer> selected)
        {
            if (wanted <= 0 || Count == 0)
            {
                return 0;
            }

            var taken = 0;
            var start = Count > 1 ? Random.Shared.Next(Count) : 0;
            for (var n = 0; n < Count && taken < wanted; n++)
            {
                var i = start + n;
                if (i >= Count)
                {
                    i -= Count;
                }

                ref readonly var peer = ref _peers[i];
                if (!peer.PeerId.Equals(self) && !peer.Endpoint.Equals(selfEndpoint)
                    && (family == PeerFamily.Any || peer.Endpoint.IsV4 == (family == PeerFamily.V4)))
                {
                    selected[taken++] = peer;
                }
            }

            return taken;
        }
    }
}
