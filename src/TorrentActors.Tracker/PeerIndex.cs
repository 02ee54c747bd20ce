namespace TorrentActors.Tracker;

/// <summary>
/// A swarm's peer id → position map, as an open-addressing table of positions into the swarm's own peer array
/// (linear probing, deletion by backward shift, so no tombstones). It stores 4 bytes per slot and no keys: a
/// <see cref="Dictionary{TKey, TValue}"/> of <see cref="Id20"/> to int kept a 40-byte entry and a bucket per peer.
/// Slot values are position + 1; 0 is empty. The table stays at most half full.
/// </summary>
internal sealed class PeerIndex
{
    private const int MinimumCapacity = 8;

    private int[] _slots = new int[MinimumCapacity];
    private int _count;

    /// <summary>The position of <paramref name="id"/>, or -1; <paramref name="peers"/> is the array positions point into.</summary>
    public int Find(Id20 id, ReadOnlySpan<TrackedPeer> peers)
    {
        var mask = _slots.Length - 1;
        for (var slot = Home(id, mask); _slots[slot] != 0; slot = (slot + 1) & mask)
        {
            var position = _slots[slot] - 1;
            if (peers[position].PeerId.Equals(id))
            {
                return position;
            }
        }

        return -1;
    }

    /// <summary>Records that <paramref name="id"/> (not yet present) is at <paramref name="position"/>.</summary>
    public void Add(Id20 id, int position, ReadOnlySpan<TrackedPeer> peers)
    {
        if ((_count + 1) * 2 > _slots.Length)
        {
            Resize(_slots.Length * 2, peers);
        }

        Place(id, position);
        _count++;
    }

    /// <summary>Forgets <paramref name="id"/>, which is at <paramref name="position"/>.</summary>
    public void Remove(Id20 id, int position, ReadOnlySpan<TrackedPeer> peers)
    {
        var mask = _slots.Length - 1;
        var hole = SlotOf(id, position);
        _count--;

        // Backward shift: pull later entries of the same run into the hole when their home lies at or before it.
        for (var next = (hole + 1) & mask; _slots[next] != 0; next = (next + 1) & mask)
        {
            var home = Home(peers[_slots[next] - 1].PeerId, mask);
            var movable = hole <= next ? home <= hole || home > next : home <= hole && home > next;
            if (movable)
            {
                _slots[hole] = _slots[next];
                hole = next;
            }
        }

        _slots[hole] = 0;
    }

    /// <summary>Records that <paramref name="id"/> moved from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public void Move(Id20 id, int from, int to) => _slots[SlotOf(id, from)] = to + 1;

    /// <summary>Shrinks the table after the swarm shrank, so that a swarm that emptied gives its memory back.</summary>
    public void Trim(ReadOnlySpan<TrackedPeer> peers)
    {
        var wanted = Math.Max(MinimumCapacity, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(1, _count * 2)));
        if (wanted < _slots.Length / 2)
        {
            Resize(wanted, peers);
        }
    }

    private int SlotOf(Id20 id, int position)
    {
        var mask = _slots.Length - 1;
        var slot = Home(id, mask);
        while (_slots[slot] != position + 1)
        {
            slot = (slot + 1) & mask;
        }

        return slot;
    }

    private void Place(Id20 id, int position)
    {
        var mask = _slots.Length - 1;
        var slot = Home(id, mask);
        while (_slots[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _slots[slot] = position + 1;
    }

    private void Resize(int capacity, ReadOnlySpan<TrackedPeer> peers)
    {
        var old = _slots;
        _slots = new int[capacity];
        foreach (var value in old)
        {
            if (value != 0)
            {
                Place(peers[value - 1].PeerId, value - 1);
            }
        }
    }

    /// <summary>The first slot to try: <see cref="Id20.GetHashCode"/> is seeded per process, so ids cannot be chosen to pile up.</summary>
    private static int Home(Id20 id, int mask) => id.GetHashCode() & mask;
}
