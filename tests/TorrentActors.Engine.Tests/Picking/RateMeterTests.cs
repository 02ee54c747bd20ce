using TorrentActors.Engine.Picking;
using Xunit;

namespace TorrentActors.Engine.Tests.Picking;

public sealed class RateMeterTests
{
    [Fact]
    public void A_steady_rate_is_reached_within_a_few_samples()
    {
        var meter = new RateMeter();
        long total = 0;
        var rates = new List<long>();
        for (var second = 0; second < 6; second++)
        {
            total += 1_000_000;
            meter.Sample(total, 1000);
            rates.Add(meter.Rate);
        }

        Assert.Equal(750_000, rates[0]); // three quarters of the first second's rate
        Assert.Equal(937_500, rates[1]);
        Assert.True(rates[^1] > 999_000 && rates[^1] <= 1_000_000, $"rate {rates[^1]}");
    }

    [Fact]
    public void The_rate_is_per_second_whatever_the_time_between_samples()
    {
        var half = new RateMeter();
        half.Sample(500_000, 500);
        var whole = new RateMeter();
        whole.Sample(1_000_000, 1000);

        Assert.Equal(whole.Rate, half.Rate);
    }

    [Fact]
    public void A_stalled_transfer_falls_towards_zero_and_a_zero_interval_does_not_divide_by_zero()
    {
        var meter = new RateMeter();
        meter.Sample(4_000_000, 1000);
        meter.Sample(4_000_000, 1000);
        Assert.Equal(750_000, meter.Rate);
        meter.Sample(4_000_000, 0);
        Assert.Equal(187_500, meter.Rate);
    }
}
