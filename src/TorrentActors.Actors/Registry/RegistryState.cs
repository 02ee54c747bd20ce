using System.Collections.Immutable;
using static TorrentActors.Actors.Registry.RegistryEvents;

namespace TorrentActors.Actors.Registry;

/// <summary>What can be asked of the registry (local only, from the patrons).</summary>
public static class RegistryCommands
{
    public interface IRegistryCommand
    {
    }

    /// <summary>
    /// Add a torrent under <paramref name="AssignedId"/> (the cluster catalog's, or the one the patrons took as its
    /// command arrived), or else under the next ID.
    /// </summary>
    public sealed record Add(
        string Name,
        string InfoHash,
        ImmutableArray<byte> TorrentBytes,
        string DataDirectory,
        bool SeededInPlace,
        string Command,
        int? AssignedId = null,
        bool ClusterCopy = false) : IRegistryCommand;

    public sealed record Stop(int Id) : IRegistryCommand;

    public sealed record Start(int Id) : IRegistryCommand;

    public sealed record Remove(int Id) : IRegistryCommand;
}

/// <summary>The events a command leads to, or why it was refused (then no events).</summary>
public sealed record RegistryDecision(ImmutableArray<IRegistryEvent> Events, string? Refusal)
{
    public static RegistryDecision Accept(params IRegistryEvent[] events) => new([.. events], null);

    public static RegistryDecision Refuse(string reason) => new([], reason);
}

/// <summary>
/// The node's torrent registry: which torrents it holds under which IDs, and whether each is stopped.
/// <see cref="NextId"/> only grows: it is one more than the highest ID ever given, so a removed torrent's ID is never
/// given again. Immutable; <see cref="Decide"/> and <see cref="Apply"/> are pure.
/// </summary>
public sealed record RegistryState(int NextId, ImmutableSortedDictionary<int, RegistryEntry> Entries)
{
    public static readonly RegistryState Empty = new(1, ImmutableSortedDictionary<int, RegistryEntry>.Empty);

    public RegistryEntry? FindByInfoHash(string infoHash) =>
        Entries.Values.FirstOrDefault(entry => string.Equals(entry.InfoHash, infoHash, StringComparison.OrdinalIgnoreCase));

    public static RegistryDecision Decide(RegistryState state, RegistryCommands.IRegistryCommand command) => command switch
    {
        RegistryCommands.Add add => DecideAdd(state, add),
        RegistryCommands.Stop stop => state.Entries.TryGetValue(stop.Id, out var entry)
            ? entry.Stopped ? RegistryDecision.Accept() : RegistryDecision.Accept(new TorrentStopped(stop.Id))
            : NoSuchTorrent(stop.Id),
        RegistryCommands.Start start => state.Entries.TryGetValue(start.Id, out var entry)
            ? entry.Stopped ? RegistryDecision.Accept(new TorrentStarted(start.Id)) : RegistryDecision.Accept()
            : NoSuchTorrent(start.Id),
        RegistryCommands.Remove remove => state.Entries.ContainsKey(remove.Id)
            ? RegistryDecision.Accept(new TorrentRemoved(remove.Id))
            : NoSuchTorrent(remove.Id),
        _ => RegistryDecision.Refuse($"unknown registry command {command.GetType().Name}"),
    };

    /// <summary>The state after <paramref name="registryEvent"/>; an event about an ID the state lacks changes nothing.</summary>
    public static RegistryState Apply(RegistryState state, IRegistryEvent registryEvent) => registryEvent switch
    {
        TorrentAdded added => state with
        {
            NextId = Math.Max(state.NextId, added.Id + 1),
            Entries = state.Entries.SetItem(
                added.Id,
                new RegistryEntry(added.Id, added.Name, added.InfoHash, added.TorrentBytes, added.DataDirectory, added.SeededInPlace, added.Command, Stopped: false, added.ClusterCopy)),
        },
        TorrentStopped stopped => SetStopped(state, stopped.Id, true),
        TorrentStarted started => SetStopped(state, started.Id, false),
        TorrentRemoved removed => state with { Entries = state.Entries.Remove(removed.Id) },
        _ => state,
    };

    public RegistrySnapshot ToSnapshot() => new(NextId, [.. Entries.Values]);

    public static RegistryState FromSnapshot(RegistrySnapshot snapshot)
    {
        var entries = snapshot.Entries.ToImmutableSortedDictionary(entry => entry.Id, entry => entry);
        var highest = entries.Count == 0 ? 0 : entries.Keys.Max();
        return new RegistryState(Math.Max(snapshot.NextId, highest + 1), entries);
    }

    /// <summary>
    /// A torrent the registry holds is refused; so is an assigned ID another torrent holds. An assigned ID may be one
    /// this node gave up before (a cluster copy it dropped and is given again): the cluster, not the node, owns it.
    /// </summary>
    private static RegistryDecision DecideAdd(RegistryState state, RegistryCommands.Add add)
    {
        if (state.FindByInfoHash(add.InfoHash) is { } existing)
        {
            return RegistryDecision.Refuse($"already active as {existing.Id}");
        }

        if (add.AssignedId is { } assigned && state.Entries.TryGetValue(assigned, out var holder))
        {
            return RegistryDecision.Refuse($"ID {assigned} is held by {holder.Name} on this node");
        }

        var id = add.AssignedId ?? state.NextId;
        return RegistryDecision.Accept(new TorrentAdded(id, add.Name, add.InfoHash, add.TorrentBytes, add.DataDirectory, add.SeededInPlace, add.Command, add.ClusterCopy));
    }

    private static RegistryDecision NoSuchTorrent(int id) => RegistryDecision.Refuse($"no torrent with ID {id}");

    private static RegistryState SetStopped(RegistryState state, int id, bool stopped) =>
        state.Entries.TryGetValue(id, out var entry)
            ? state with { Entries = state.Entries.SetItem(id, entry with { Stopped = stopped }) }
            : state;
}
