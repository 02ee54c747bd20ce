namespace TorrentActors.Actors.Cluster;

/// <summary>
/// How a node takes part in a cluster (section <c>Cluster</c>; the <c>--cluster</c>, <c>--seed-node</c>,
/// <c>--replicas</c> and <c>--node-name</c> flags). Off by default: without it a node is a single node as before.
/// </summary>
public sealed record ClusterSettings
{
    public const int DefaultReplicas = 2;

    /// <summary>Join (or form) a cluster over the node's remoting endpoint.</summary>
    public bool Enabled { get; init; }

    /// <summary><c>akka.tcp://torrentactors@HOST:PORT</c> of members to join through; none: the node forms a cluster of one.</summary>
    public string[] SeedNodes { get; init; } = [];

    /// <summary>How many members hold each torrent (at most the number of members).</summary>
    public int Replicas { get; init; } = DefaultReplicas;

    /// <summary>The node's name in the cluster; null: the one generated once and kept in the state folder.</summary>
    public string? NodeName { get; init; }

    /// <summary>
    /// How long a member may stay unreachable before the split-brain resolver downs it (its <c>stable-after</c>); the
    /// failure detector notices a dead member within about 4 s, so a killed member is removed some 11 s after it died.
    /// </summary>
    public TimeSpan DownAfter { get; init; } = TimeSpan.FromSeconds(7);

    /// <summary>
    /// After a start, how long a member waits for the members it was last up with to be up again before it fetches any
    /// copy (so a restart of the whole cluster downloads nothing its members still hold); a member downed while this one
    /// ran is not waited for.
    /// </summary>
    public TimeSpan RegroupTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a command waits for the catalog's keeper before it is an error.</summary>
    public TimeSpan AnswerTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the keeper waits for a majority to take a write (after that the write stands locally and gossips).</summary>
    public TimeSpan WriteTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a new keeper waits for a majority's copy of the catalog before it falls back to its own.</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The characters a node name may have (it is a cluster role, a log word and a file's content).</summary>
    public static bool IsValidNodeName(string? name) =>
        name is { Length: > 0 and <= 64 } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}

/// <summary>What the actors of a cluster member need: its settings, its resolved name, and where it keeps the catalog.</summary>
/// <param name="DatabasePath">The state database (the catalog's tables live there); null keeps nothing.</param>
public sealed record ClusterMembership(ClusterSettings Settings, string NodeName, string? DatabasePath);
