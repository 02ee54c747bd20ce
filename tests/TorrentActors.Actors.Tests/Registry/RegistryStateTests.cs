using System.Collections.Immutable;
using TorrentActors.Actors.Registry;
using Xunit;
using static TorrentActors.Actors.Registry.RegistryEvents;

namespace TorrentActors.Actors.Tests.Registry;

public class RegistryStateTests
{
    private static RegistryCommands.Add Add(string hash, string name = "file.bin", bool inPlace = true) =>
        new(name, hash, [1, 2, 3], "/data", inPlace, "file:/data/" + name);

    private static string Hash(int n) => n.ToString("x40", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Decides each command and applies its events, as the actor does.</summary>
    private static (RegistryState State, List<RegistryDecision> Decisions) Run(RegistryState state, params RegistryCommands.IRegistryCommand[] commands)
    {
        var decisions = new List<RegistryDecision>();
        foreach (var command in commands)
        {
            var decision = RegistryState.Decide(state, command);
            decisions.Add(decision);
            state = decision.Events.Aggregate(state, RegistryState.Apply);
        }

        return (state, decisions);
    }

    [Fact]
    public void Adding_torrents_gives_IDs_from_1_in_order_and_records_what_the_node_needs_to_bring_them_back()
    {
        var (state, decisions) = Run(RegistryState.Empty, Add(Hash(1), "a.bin"), Add(Hash(2), "b.bin", inPlace: false));

        var added = Assert.IsType<TorrentAdded>(Assert.Single(decisions[1].Events));
        Assert.Equal(new TorrentAdded(2, "b.bin", Hash(2), added.TorrentBytes, "/data", false, "file:/data/b.bin"), added);
        Assert.Equal(new byte[] { 1, 2, 3 }, added.TorrentBytes.ToArray());
        Assert.Equal([1, 2], state.Entries.Keys);
        Assert.True(state.Entries[1].SeededInPlace);
        Assert.False(state.Entries[2].SeededInPlace);
        Assert.False(state.Entries[1].Stopped);
        Assert.Equal(3, state.NextId);
    }

    [Fact]
    public void A_torrent_already_registered_is_refused_with_its_ID()
    {
        var (state, decisions) = Run(RegistryState.Empty, Add(Hash(1)), Add(Hash(1).ToUpperInvariant()));

        Assert.Equal("already active as 1", decisions[1].Refusal);
        Assert.Empty(decisions[1].Events);
        Assert.Single(state.Entries);
    }

    [Fact]
    public void A_removed_ID_is_never_given_again_and_new_IDs_continue_after_the_highest_ever()
    {
        var (state, _) = Run(RegistryState.Empty, Add(Hash(1)), Add(Hash(2)), Add(Hash(3)), new RegistryCommands.Remove(3), new RegistryCommands.Remove(1));
        Assert.Equal([2], state.Entries.Keys);

        var (after, decisions) = Run(state, Add(Hash(3)));
        Assert.Equal(4, Assert.IsType<TorrentAdded>(Assert.Single(decisions[0].Events)).Id);
        Assert.Equal([2, 4], after.Entries.Keys);
    }

    [Fact]
    public void Stop_and_start_change_the_state_once_and_repeating_them_records_nothing()
    {
        var (stopped, decisions) = Run(RegistryState.Empty, Add(Hash(1)), new RegistryCommands.Stop(1), new RegistryCommands.Stop(1));
        Assert.True(stopped.Entries[1].Stopped);
        Assert.Equal(new TorrentStopped(1), Assert.Single(decisions[1].Events));
        Assert.Null(decisions[2].Refusal);
        Assert.Empty(decisions[2].Events);

        var (started, again) = Run(stopped, new RegistryCommands.Start(1), new RegistryCommands.Start(1));
        Assert.False(started.Entries[1].Stopped);
        Assert.Equal(new TorrentStarted(1), Assert.Single(again[0].Events));
        Assert.Empty(again[1].Events);
    }

    [Theory]
    [InlineData("stop")]
    [InlineData("start")]
    [InlineData("remove")]
    public void A_command_for_an_unknown_or_removed_ID_is_refused(string verb)
    {
        RegistryCommands.IRegistryCommand For(int id) => verb switch
        {
            "stop" => new RegistryCommands.Stop(id),
            "start" => new RegistryCommands.Start(id),
            _ => new RegistryCommands.Remove(id),
        };

        var (state, _) = Run(RegistryState.Empty, Add(Hash(1)), new RegistryCommands.Remove(1));
        Assert.Equal("no torrent with ID 1", RegistryState.Decide(state, For(1)).Refusal);
        Assert.Equal("no torrent with ID 7", RegistryState.Decide(state, For(7)).Refusal);
    }

    [Fact]
    public void Replaying_the_events_gives_the_same_state_as_deciding_them()
    {
        var (state, decisions) = Run(
            RegistryState.Empty,
            Add(Hash(1)), Add(Hash(2)), new RegistryCommands.Stop(2), Add(Hash(3)), new RegistryCommands.Remove(1), new RegistryCommands.Remove(3));

        var replayed = decisions.SelectMany(d => d.Events).Aggregate(RegistryState.Empty, RegistryState.Apply);
        Assert.Equal(state.NextId, replayed.NextId);
        Assert.Equal(state.Entries.Values, replayed.Entries.Values);
        Assert.Equal(4, replayed.NextId);
        Assert.True(replayed.Entries[2].Stopped);
    }

    [Fact]
    public void A_snapshot_keeps_the_next_ID_even_when_the_highest_torrents_were_removed()
    {
        var (state, _) = Run(RegistryState.Empty, Add(Hash(1)), Add(Hash(2)), new RegistryCommands.Stop(1), new RegistryCommands.Remove(2));

        var restored = RegistryState.FromSnapshot(state.ToSnapshot());
        Assert.Equal(3, restored.NextId);
        Assert.Equal(state.Entries.Values, restored.Entries.Values);
        Assert.True(restored.Entries[1].Stopped);
    }

    [Fact]
    public void A_snapshot_whose_next_ID_is_behind_its_entries_still_never_reuses_an_ID()
    {
        var entry = new RegistryEntry(5, "x", Hash(5), ImmutableArray<byte>.Empty, "/d", false, "torrent:x", false);
        Assert.Equal(6, RegistryState.FromSnapshot(new RegistrySnapshot(1, [entry])).NextId);
    }

    [Fact]
    public void An_ID_the_cluster_assigns_is_used_as_given_may_be_one_dropped_before_and_new_local_IDs_continue_after_it()
    {
        var (state, decisions) = Run(
            RegistryState.Empty,
            Add(Hash(1)) with { AssignedId = 7, ClusterCopy = true },
            new RegistryCommands.Remove(7),
            Add(Hash(1)) with { AssignedId = 7, ClusterCopy = true },
            Add(Hash(2)));

        Assert.All(decisions, decision => Assert.Null(decision.Refusal));
        Assert.Equal([7, 8], state.Entries.Keys);
        Assert.True(state.Entries[7].ClusterCopy);
        Assert.False(state.Entries[8].ClusterCopy);
        Assert.Equal(9, state.NextId);
    }

    [Fact]
    public void An_assigned_ID_another_torrent_holds_is_refused()
    {
        var (state, decisions) = Run(RegistryState.Empty, Add(Hash(1), "a.bin"), Add(Hash(2)) with { AssignedId = 1 });

        Assert.Equal("ID 1 is held by a.bin on this node", decisions[1].Refusal);
        Assert.Single(state.Entries);
    }
}
