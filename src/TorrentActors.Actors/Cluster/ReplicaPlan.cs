using System.Collections.Immutable;

namespace TorrentActors.Actors.Cluster;

/// <summary>A torrent this node has in its registry, as the replica actor sees it.</summary>
/// <param name="Id">Its ID in the node's registry (the catalog's ID for cluster torrents).</param>
/// <param name="OwnData">The user's own file seeded in place: never deleted.</param>
/// <param name="ClusterCopy">Downloaded for the cluster: deleted when the node no longer holds the torrent.</param>
/// <param name="Stopped">Its session is stopped.</param>
/// <param name="Percent">Whole-number percentage of verified data.</param>
/// <param name="Complete">Every piece verified.</param>
public sealed record LocalCopy(int Id, string InfoHash, bool OwnData, bool ClusterCopy, bool Stopped, int Percent, bool Complete);

/// <summary>What the replica actor does about one torrent on this node.</summary>
public abstract record ReplicaAction(string InfoHash)
{
    /// <summary>This node is a holder and has no copy: download one into the download folder, under the catalog's ID.</summary>
    public sealed record Fetch(CatalogEntry Entry) : ReplicaAction(Entry.InfoHash);

    /// <summary>
    /// Forget the local copy (delete its data if it is a cluster copy): the node is no longer a holder and enough
    /// holders are complete, or the torrent was removed from the cluster.
    /// </summary>
    public sealed record Drop(int Id, string Hash, string Reason) : ReplicaAction(Hash);

    public sealed record Stop(int Id, string Hash) : ReplicaAction(Hash);

    public sealed record Start(int Id, string Hash) : ReplicaAction(Hash);
}

/// <summary>How the cluster stands with one torrent: its holders, who has it complete, and whether that is enough.</summary>
/// <param name="Target">The replicas it should have: min(R, members).</param>
/// <param name="Holders">The members placement chose, best first.</param>
/// <param name="Copies">Every member with a copy, and its percentage.</param>
public sealed record ReplicaView(CatalogEntry Entry, int Target, ImmutableArray<string> Holders, ImmutableSortedDictionary<string, Holding> Copies)
{
    /// <summary>Members with a complete copy.</summary>
    public int Complete => Copies.Values.Count(h => h.Complete);

    /// <summary>At least <see cref="Target"/> members have a complete copy.</summary>
    public bool AtTarget => Complete >= Target;

    /// <summary>By value: the same entry, target, holders and copies.</summary>
    public bool Equals(ReplicaView? other) =>
        other is not null && Entry == other.Entry && Target == other.Target && Holders.SequenceEqual(other.Holders) && Copies.SequenceEqual(other.Copies);

    public override int GetHashCode() => HashCode.Combine(Entry, Target, Holders.Length, Copies.Count);
}

/// <summary>
/// The replica decisions, pure: for every torrent of the catalog, who should hold it and what this node must do.
/// Placement is <see cref="Placement.Holders"/> over the members that are up, with one preference: the node that seeds
/// the torrent in place (the user's own file) holds it while it is up, and the other R−1 holders come from placement
/// over the rest, so the user's copy is never duplicated for nothing. A node that is no longer a holder drops its cluster
/// copy only once every holder placement now chooses (up to the target) is complete, so a move never takes a torrent
/// below its target.
/// </summary>
public static class ReplicaPlan
{
    public static ImmutableArray<string> Holders(CatalogEntry entry, IReadOnlyCollection<string> members)
    {
        var target = Math.Min(Math.Max(1, entry.Replicas), members.Count);
        if (entry.SeededInPlaceBy is { } origin && members.Contains(origin))
        {
            var others = members.Where(m => m != origin).ToList();
            return [origin, .. target > 1 ? Placement.Holders(entry.InfoHash, others, target - 1) : []];
        }

        return target == 0 ? [] : Placement.Holders(entry.InfoHash, members, target);
    }

    /// <summary>The view of every torrent in the catalog that is not removed, in ID order.</summary>
    public static ImmutableArray<ReplicaView> Views(
        IEnumerable<CatalogEntry> catalog,
        IReadOnlyCollection<string> members,
        IReadOnlyDictionary<string, MemberHoldings> holdings,
        IReadOnlyCollection<string>? present = null) =>
        [.. catalog.Where(e => e.Goal != ReplicaGoal.Removed).OrderBy(e => e.Id).Select(e => View(e, members, holdings, present))];

    /// <summary>
    /// The members this node was last up with that are not up again, while it waits for them after its start (until
    /// <paramref name="deadline"/>). While any is missing the node fetches nothing: after a restart of the whole cluster
    /// the first members back would otherwise be the holders of everything and download what the others still hold.
    /// Empty: the node has regrouped (or stopped waiting), and placement runs over whoever is up.
    /// </summary>
    public static ImmutableArray<string> Missing(IEnumerable<string> remembered, IReadOnlyCollection<string> up, DateTime now, DateTime deadline) =>
        now >= deadline ? [] : [.. remembered.Where(m => !up.Contains(m)).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The members placement uses: those up and not draining. A node that is leaving is left out, so the others take
    /// its share while it still serves.
    /// </summary>
    public static HashSet<string> PlacementMembers(IEnumerable<string> up, IReadOnlyDictionary<string, MemberHoldings> holdings) =>
        up.Where(m => !(holdings.TryGetValue(m, out var held) && held.Draining)).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// A draining node may go once every torrent it has complete has its target of complete copies on the members
    /// placement now uses (or there is no member left to hand it to).
    /// </summary>
    public static bool HandedOff(
        string self,
        IEnumerable<CatalogEntry> catalog,
        IReadOnlyCollection<string> members,
        IReadOnlyDictionary<string, MemberHoldings> holdings,
        IReadOnlyDictionary<string, LocalCopy> local)
    {
        var others = members.Where(m => m != self).ToList();
        if (others.Count == 0)
        {
            return true;
        }

        foreach (var entry in catalog.Where(e => e.Goal != ReplicaGoal.Removed))
        {
            if (local.TryGetValue(entry.InfoHash, out var copy) && copy.Complete && !View(entry, others, holdings).AtTarget)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Holders are placed among <paramref name="members"/>; copies count on <paramref name="present"/> (default: the
    /// same), which may add members that are up but draining: their copies still serve while they hand off.
    /// </summary>
    public static ReplicaView View(
        CatalogEntry entry,
        IReadOnlyCollection<string> members,
        IReadOnlyDictionary<string, MemberHoldings> holdings,
        IReadOnlyCollection<string>? present = null)
    {
        var copies = ImmutableSortedDictionary.CreateBuilder<string, Holding>(StringComparer.Ordinal);
        foreach (var member in present ?? members)
        {
            if (holdings.TryGetValue(member, out var held) && held.Torrents.TryGetValue(entry.InfoHash, out var holding))
            {
                copies[member] = holding;
            }
        }

        var holders = Holders(entry, members);
        return new ReplicaView(entry, holders.Length, holders, copies.ToImmutable());
    }

    /// <summary>What <paramref name="self"/> must do, torrent by torrent; local torrents the catalog does not know are left alone.</summary>
    public static ImmutableArray<ReplicaAction> Decide(
        string self,
        IEnumerable<CatalogEntry> catalog,
        IReadOnlyCollection<string> members,
        IReadOnlyDictionary<string, MemberHoldings> holdings,
        IReadOnlyDictionary<string, LocalCopy> local)
    {
        var actions = ImmutableArray.CreateBuilder<ReplicaAction>();
        foreach (var entry in catalog)
        {
            local.TryGetValue(entry.InfoHash, out var copy);
            if (entry.Goal == ReplicaGoal.Removed)
            {
                if (copy is not null)
                {
                    actions.Add(new ReplicaAction.Drop(copy.Id, entry.InfoHash, "removed from the cluster"));
                }

                continue;
            }

            if (!members.Contains(self))
            {
                // Not (or no longer) a member that is up: hold what there is, start nothing, drop nothing.
                continue;
            }

            var view = View(entry, members, holdings);
            var holder = view.Holders.Contains(self);
            if (copy is null)
            {
                // The node that seeds the user's file in place is handed it by the command that made it: it never
                // downloads a copy of its own torrent (the catalog entry may arrive here before that command's seed).
                if (holder && entry.Goal == ReplicaGoal.Running && entry.SeededInPlaceBy != self)
                {
                    actions.Add(new ReplicaAction.Fetch(entry));
                }

                continue;
            }

            if (!holder && copy.ClusterCopy && !copy.OwnData && HoldersComplete(view, self))
            {
                actions.Add(new ReplicaAction.Drop(copy.Id, entry.InfoHash, "no longer a holder; the holders are complete"));
                continue;
            }

            if (entry.Goal == ReplicaGoal.Stopped && !copy.Stopped)
            {
                actions.Add(new ReplicaAction.Stop(copy.Id, entry.InfoHash));
            }
            else if (entry.Goal == ReplicaGoal.Running && copy.Stopped)
            {
                actions.Add(new ReplicaAction.Start(copy.Id, entry.InfoHash));
            }
        }

        return actions.ToImmutable();
    }

    /// <summary>Every holder placement chose (other than <paramref name="self"/>) has a complete copy, and there are enough of them.</summary>
    private static bool HoldersComplete(ReplicaView view, string self)
    {
        var complete = view.Holders.Count(h => h != self && view.Copies.TryGetValue(h, out var holding) && holding.Complete);
        return complete >= view.Target;
    }
}
