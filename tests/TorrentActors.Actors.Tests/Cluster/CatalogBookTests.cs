using System.Collections.Immutable;
using TorrentActors.Actors.Cluster;
using Xunit;

namespace TorrentActors.Actors.Tests.Cluster;

public sealed class CatalogBookTests
{
    private static readonly string HashA = new('a', 40);
    private static readonly string HashB = new('b', 40);
    private static readonly string HashC = new('c', 40);

    private static CatalogCommands.AddTorrent Add(string hash, string? seededBy = null, int replicas = 2) =>
        new(hash, "name-" + hash[0], 1000, [1, 2, 3], replicas, "n1", seededBy, "file:/x");

    private static CatalogBook Apply(CatalogBook book, CatalogCommands.ICatalogCommand command)
    {
        var decision = CatalogBook.Decide(book, command);
        Assert.Null(decision.Refusal);
        return decision.Write is { } entry ? book.With(entry) : book;
    }

    [Fact]
    public void A_new_torrent_gets_the_first_ID_and_version_and_runs()
    {
        var decision = CatalogBook.Decide(CatalogBook.Empty, Add(HashA.ToUpperInvariant(), seededBy: "n1"));

        Assert.Equal(new CatalogEntry(1, HashA, "name-A", 1000, 2, "n1", "n1", ReplicaGoal.Running, 1), decision.Write);
    }

    [Fact]
    public void Adding_a_torrent_the_catalog_has_answers_its_entry_without_a_write()
    {
        var book = Apply(Apply(CatalogBook.Empty, Add(HashA)), new CatalogCommands.StopTorrent(1, "stop:1"));

        var decision = CatalogBook.Decide(book, Add(HashA, seededBy: "n2"));

        Assert.Null(decision.Write);
        Assert.Equal(book.Entries[HashA], decision.Answer);
    }

    [Fact]
    public void A_removed_torrent_added_again_gets_a_new_ID_and_IDs_are_never_reused()
    {
        var book = Apply(Apply(CatalogBook.Empty, Add(HashA)), Add(HashB));
        book = Apply(book, new CatalogCommands.RemoveTorrent(2, "remove:2"));

        var again = CatalogBook.Decide(book, Add(HashB));
        var other = CatalogBook.Decide(book.With(again.Write!), Add(HashC));

        Assert.Equal(3, again.Write!.Id);
        Assert.Equal(4, other.Write!.Id);
        Assert.Equal(ReplicaGoal.Running, again.Write.Goal);
    }

    [Fact]
    public void The_next_ID_counts_tombstones_even_when_the_highest_is_removed()
    {
        var book = CatalogBook.Of([new(HashA, new CatalogEntry(7, HashA, "a", 1, 2, "n1", null, ReplicaGoal.Removed, 9))]);

        Assert.Equal(8, CatalogBook.Decide(book, Add(HashB)).Write!.Id);
        Assert.Equal(10, CatalogBook.Decide(book, Add(HashB)).Write!.Version);
    }

    [Fact]
    public void Every_change_gets_one_more_than_the_highest_version_seen()
    {
        var book = CatalogBook.Of(
        [
            new(HashA, new CatalogEntry(1, HashA, "a", 1, 2, "n1", null, ReplicaGoal.Running, 3)),
            new(HashB, new CatalogEntry(2, HashB, "b", 1, 2, "n1", null, ReplicaGoal.Running, 12)),
        ]);

        var stopped = CatalogBook.Decide(book, new CatalogCommands.StopTorrent(1, "stop:1")).Write!;
        var started = CatalogBook.Decide(book.With(stopped), new CatalogCommands.StartTorrent(1, "start:1")).Write!;

        Assert.Equal((ReplicaGoal.Stopped, 13L), (stopped.Goal, stopped.Version));
        Assert.Equal((ReplicaGoal.Running, 14L), (started.Goal, started.Version));
    }

    [Fact]
    public void Stopping_a_stopped_torrent_or_starting_a_running_one_writes_nothing()
    {
        var book = Apply(CatalogBook.Empty, Add(HashA));

        Assert.Equal(book.Entries[HashA], CatalogBook.Decide(book, new CatalogCommands.StartTorrent(1, "start:1")).Answer);
        book = Apply(book, new CatalogCommands.StopTorrent(1, "stop:1"));
        Assert.Null(CatalogBook.Decide(book, new CatalogCommands.StopTorrent(1, "stop:1")).Write);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(1)]
    public void Commands_on_an_unknown_or_removed_ID_are_refused(int id)
    {
        var book = Apply(Apply(CatalogBook.Empty, Add(HashA)), new CatalogCommands.RemoveTorrent(1, "remove:1"));

        foreach (CatalogCommands.ICatalogCommand command in new CatalogCommands.ICatalogCommand[]
        {
            new CatalogCommands.StopTorrent(id, "stop"), new CatalogCommands.StartTorrent(id, "start"), new CatalogCommands.RemoveTorrent(id, "remove"),
        })
        {
            Assert.Equal($"no torrent with ID {id}", CatalogBook.Decide(book, command).Refusal);
        }
    }

    [Fact]
    public void A_removed_torrent_a_member_still_holds_cannot_be_added_again_yet()
    {
        var book = Apply(Apply(CatalogBook.Empty, Add(HashA)), new CatalogCommands.RemoveTorrent(1, "remove:1"));

        var decision = CatalogBook.Decide(book, Add(HashA), new HashSet<string> { HashA });

        Assert.Equal("still being removed (was 1); try again", decision.Refusal);
        Assert.Null(CatalogBook.Decide(book, Add(HashB), new HashSet<string> { HashA }).Refusal);
    }

    [Fact]
    public void Adds_without_a_proper_infohash_replicas_or_metainfo_are_refused()
    {
        Assert.NotNull(CatalogBook.Decide(CatalogBook.Empty, Add("xyz")).Refusal);
        Assert.NotNull(CatalogBook.Decide(CatalogBook.Empty, Add(new string('g', 40))).Refusal);
        Assert.NotNull(CatalogBook.Decide(CatalogBook.Empty, Add(HashA, replicas: 0)).Refusal);
        Assert.NotNull(CatalogBook.Decide(CatalogBook.Empty, Add(HashA) with { TorrentBytes = ImmutableArray<byte>.Empty }).Refusal);
    }

    [Fact]
    public void Merging_keeps_the_newer_version_of_each_entry()
    {
        var removed = new CatalogEntry(1, HashA, "a", 1, 2, "n1", null, ReplicaGoal.Removed, 5);
        var old = removed with { Goal = ReplicaGoal.Running, Version = 1 };
        var book = CatalogBook.Of([new(HashA, removed)]);

        Assert.Equal(removed, book.Merge([new(HashA, old)]).Entries[HashA]);
        Assert.Equal(removed, CatalogBook.Of([new(HashA, old)]).Merge([new(HashA, removed)]).Entries[HashA]);
    }
}
