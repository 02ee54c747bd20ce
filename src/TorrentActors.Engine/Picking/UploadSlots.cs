namespace TorrentActors.Engine.Picking;

/// <summary>What the slot decisions need to know about one connected peer.</summary>
public readonly record struct SlotCandidate(int Peer, bool Choked, bool Interested, long Uploaded);

/// <summary>
/// Upload-slot decisions between two rechokes of the <see cref="Choker"/>: a torrent has <c>slots</c> regular slots
/// plus one optimistic slot, and a slot is used by an interested peer we do not choke (an unchoked peer that wants
/// nothing costs nothing). A slot that frees up is given at once, least-served first, instead of at the next rechoke.
/// Pure: the caller supplies the peers.
/// </summary>
public static class UploadSlots
{
    /// <summary>Slots in use among <paramref name="peers"/>.</summary>
    public static int Used(IEnumerable<SlotCandidate> peers) => peers.Count(p => !p.Choked && p.Interested);

    /// <summary>True when one more peer may be unchoked now, <paramref name="used"/> slots being taken.</summary>
    public static bool HasRoom(int used, int slots) => used < slots + 1;

    /// <summary>
    /// The choked, interested peers to unchoke now so that every free slot is used, least uploaded to first; none
    /// when the slots are full.
    /// </summary>
    public static IReadOnlyList<int> FillFree(IReadOnlyCollection<SlotCandidate> peers, int slots)
    {
        var free = slots + 1 - Used(peers);
        if (free <= 0)
        {
            return [];
        }

        return peers
            .Where(p => p.Choked && p.Interested)
            .OrderBy(p => p.Uploaded)
            .ThenBy(p => p.Peer)
            .Take(free)
            .Select(p => p.Peer)
            .ToList();
    }
}
