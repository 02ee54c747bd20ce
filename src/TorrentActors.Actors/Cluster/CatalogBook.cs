using System.Collections.Immutable;

namespace TorrentActors.Actors.Cluster;

/// <summary>What the keeper decided: an entry to write (and answer), an entry to answer as it is, or a refusal.</summary>
public sealed record CatalogDecision(CatalogEntry? Write, CatalogEntry? Answer, string? Refusal)
{
    /// <summary>The entry the command leads to (written or unchanged); null when refused.</summary>
    public CatalogEntry? Entry => Write ?? Answer;

    public static CatalogDecision Written(CatalogEntry entry) => new(entry, null, null);

    public static CatalogDecision Unchanged(CatalogEntry entry) => new(null, entry, null);

    public static CatalogDecision Refuse(string reason) => new(null, null, reason);
}

/// <summary>
/// The keeper's view of the catalog (infohash hex → entry, tombstones included) and its decisions, pure. A new
/// torrent gets one more than the highest ID the catalog ever held (removed ones count, so an ID is never given
/// twice); every change gets one more than the highest version seen, which is its last-writer-wins clock.
/// </summary>
public sealed record CatalogBook(ImmutableDictionary<string, CatalogEntry> Entries)
{
    public static readonly CatalogBook Empty = new(ImmutableDictionary<string, CatalogEntry>.Empty.WithComparers(StringComparer.Ordinal));

    public int HighestId => Entries.IsEmpty ? 0 : Entries.Values.Max(entry => entry.Id);

    public long HighestVersion => Entries.IsEmpty ? 0 : Entries.Values.Max(entry => entry.Version);

    public static CatalogBook Of(IEnumerable<KeyValuePair<string, CatalogEntry>> entries) =>
        new(Empty.Entries.SetItems(entries));

    public CatalogEntry? FindById(int id) => Entries.Values.FirstOrDefault(entry => entry.Id == id);

    /// <summary>The book with <paramref name="entries"/> merged in, each kept only where it is newer than the one held.</summary>
    public CatalogBook Merge(IEnumerable<KeyValuePair<string, CatalogEntry>> entries)
    {
        var merged = Entries;
        foreach (var (key, entry) in entries)
        {
            if (!merged.TryGetValue(key, out var held) || held.Version < entry.Version)
            {
                merged = merged.SetItem(key, entry);
            }
        }

        return ReferenceEquals(merged, Entries) ? this : new CatalogBook(merged);
    }

    public CatalogBook With(CatalogEntry entry) => new(Entries.SetItem(entry.InfoHash, entry));

    /// <summary>
    /// Decides <paramref name="command"/>. <paramref name="stillHeld"/> are the infohashes some member still holds a
    /// copy of: a removed torrent among them cannot be added again until its copies are gone.
    /// </summary>
    public static CatalogDecision Decide(CatalogBook book, CatalogCommands.ICatalogCommand command, IReadOnlySet<string>? stillHeld = null) => command switch
    {
        CatalogCommands.AddTorrent add => DecideAdd(book, add, stillHeld),
        CatalogCommands.StopTorrent stop => SetGoal(book, stop.Id, ReplicaGoal.Stopped),
        CatalogCommands.StartTorrent start => SetGoal(book, start.Id, ReplicaGoal.Running),
        CatalogCommands.RemoveTorrent remove => SetGoal(book, remove.Id, ReplicaGoal.Removed),
        _ => CatalogDecision.Refuse($"unknown catalog command {command.GetType().Name}"),
    };

    private static CatalogDecision DecideAdd(CatalogBook book, CatalogCommands.AddTorrent add, IReadOnlySet<string>? stillHeld)
    {
        var key = add.InfoHash.ToLowerInvariant();
        if (key.Length != 40 || !key.All(char.IsAsciiHexDigit))
        {
            return CatalogDecision.Refuse($"'{add.InfoHash}' is not an infohash (40 hex digits)");
        }

        if (add.Replicas < 1)
        {
            return CatalogDecision.Refuse($"a torrent needs at least 1 replica, not {add.Replicas}");
        }

        if (add.TorrentBytes.IsDefaultOrEmpty)
        {
            return CatalogDecision.Refuse("the torrent has no metainfo");
        }

        if (book.Entries.TryGetValue(key, out var held))
        {
            if (held.Goal != ReplicaGoal.Removed)
            {
                return CatalogDecision.Unchanged(held);
            }

            if (stillHeld?.Contains(key) == true)
            {
                return CatalogDecision.Refuse($"still being removed (was {held.Id}); try again");
            }
        }

        return CatalogDecision.Written(new CatalogEntry(
            book.HighestId + 1,
            key,
            add.Name,
            add.TotalBytes,
            add.Replicas,
            add.AddedBy,
            add.SeededInPlaceBy,
            ReplicaGoal.Running,
            book.HighestVersion + 1));
    }

    private static CatalogDecision SetGoal(CatalogBook book, int id, ReplicaGoal goal)
    {
        if (book.FindById(id) is not { Goal: not ReplicaGoal.Removed } entry)
        {
            return CatalogDecision.Refuse($"no torrent with ID {id}");
        }

        return entry.Goal == goal
            ? CatalogDecision.Unchanged(entry)
            : CatalogDecision.Written(entry with { Goal = goal, Version = book.HighestVersion + 1 });
    }
}
