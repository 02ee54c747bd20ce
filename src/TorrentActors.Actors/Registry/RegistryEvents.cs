using System.Collections.Immutable;

namespace TorrentActors.Actors.Registry;

/// <summary>What the registry's journal and snapshots hold; bound to <see cref="RegistrySerializer"/>.</summary>
public interface IRegistryPersisted
{
}

/// <summary>
/// The events of the node's torrent registry, as written to the journal. They carry plain values (numbers, hex,
/// bytes, paths) so that what is stored does not depend on the engine's types.
/// </summary>
public static class RegistryEvents
{
    public interface IRegistryEvent : IRegistryPersisted
    {
        int Id { get; }
    }

    /// <summary>
    /// A torrent got its ID. <paramref name="SeededInPlace"/>: the data is the user's own file or folder (made with
    /// <c>file:</c>) under <paramref name="DataDirectory"/>; otherwise a download into it. <paramref name="ClusterCopy"/>: a
    /// download made for the cluster, deleted when the node no longer holds the torrent (absent in events written before
    /// clusters, hence false).
    /// </summary>
    public sealed record TorrentAdded(
        int Id,
        string Name,
        string InfoHash,
        ImmutableArray<byte> TorrentBytes,
        string DataDirectory,
        bool SeededInPlace,
        string Command,
        bool ClusterCopy = false) : IRegistryEvent;

    public sealed record TorrentStopped(int Id) : IRegistryEvent;

    public sealed record TorrentStarted(int Id) : IRegistryEvent;

    /// <summary>The torrent is forgotten (its data stays on disk); its ID is never given again.</summary>
    public sealed record TorrentRemoved(int Id) : IRegistryEvent;
}

/// <summary>One torrent the registry holds.</summary>
public sealed record RegistryEntry(
    int Id,
    string Name,
    string InfoHash,
    ImmutableArray<byte> TorrentBytes,
    string DataDirectory,
    bool SeededInPlace,
    string Command,
    bool Stopped,
    bool ClusterCopy = false);

/// <summary>The registry's state as a snapshot: the next ID and every entry in ID order.</summary>
public sealed record RegistrySnapshot(int NextId, ImmutableArray<RegistryEntry> Entries) : IRegistryPersisted;
