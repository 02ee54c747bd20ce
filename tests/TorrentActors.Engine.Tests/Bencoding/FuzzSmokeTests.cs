using TorrentActors.Fuzz;
using Xunit;

namespace TorrentActors.Engine.Tests.Bencoding;

/// <summary>A short, deterministic fuzz pass over the same target the SharpFuzz executable runs.</summary>
public sealed class FuzzSmokeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Twenty_thousand_mutated_torrents_cause_no_crash_and_break_no_invariant(int seed)
    {
        var result = SmokeRun.Run(20_000, seed);

        Assert.True(result.Failures.Count == 0, result.Summary);
        Assert.Equal(20_000 + Mutator.Seeds.Count, result.Inputs);

        // The mutations must leave enough valid input to exercise the torrent checks, not only the error paths.
        Assert.InRange(result.Torrents, 50, result.Inputs);
        Assert.InRange(result.Bencode, result.Torrents, result.Inputs);
    }

    [Fact]
    public void Every_seed_is_a_valid_input()
    {
        foreach (var seed in Mutator.Seeds)
        {
            Assert.NotEqual(FuzzTarget.Outcome.Rejected, FuzzTarget.Run(seed));
        }
    }

    [Fact]
    public void The_mutator_is_deterministic_for_a_seed()
    {
        var first = new Mutator(7);
        var second = new Mutator(7);
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal(first.Next(), second.Next());
        }
    }
}
