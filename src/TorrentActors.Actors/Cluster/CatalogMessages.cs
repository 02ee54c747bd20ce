using System.Collections.Immutable;

namespace TorrentActors.Actors.Cluster;

/// <summary>
/// What a member asks the catalog's keeper (the cluster singleton that alone writes <see cref="ClusterKeys.Catalog"/>).
/// Each command carries <see cref="ICatalogCommand.Command"/>, the line that asked, for the keeper's log. The answer is
/// a <see cref="CatalogReplies.Succeeded"/> or a <see cref="CatalogReplies.Failed"/>.
/// </summary>
public static class CatalogCommands
{
    public interface ICatalogCommand : IClusterMessage
    {
        string Command { get; }
    }

    /// <summary>
    /// Add a torrent to the catalog (or answer the entry it has). <paramref name="SeededInPlaceBy"/>: the node whose user
    /// file it was made from (<c>file:</c>), or null for a download (<c>torrent:</c>).
    /// </summary>
    public sealed record AddTorrent(
        string InfoHash,
        string Name,
        long TotalBytes,
        ImmutableArray<byte> TorrentBytes,
        int Replicas,
        string AddedBy,
        string? SeededInPlaceBy,
        string Command) : ICatalogCommand;

    public sealed record StopTorrent(int Id, string Command) : ICatalogCommand;

    public sealed record StartTorrent(int Id, string Command) : ICatalogCommand;

    public sealed record RemoveTorrent(int Id, string Command) : ICatalogCommand;
}

/// <summary>The keeper's answers.</summary>
public static class CatalogReplies
{
    public interface ICatalogReply : IClusterMessage;

    /// <summary>The catalog holds <paramref name="Entry"/> now; <paramref name="Created"/> when this command added it.</summary>
    public sealed record Succeeded(CatalogEntry Entry, bool Created) : ICatalogReply;

    /// <summary>Refused; <paramref name="Reason"/> is what follows <c>error: COMMAND:</c>.</summary>
    public sealed record Failed(string Reason) : ICatalogReply;
}
