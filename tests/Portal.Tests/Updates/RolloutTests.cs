using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Updates.Cincinnati;

namespace Fleet.Portal.Tests.Updates;

/// <summary>Throttling as fcos-policy-engine computes it, and the derived wariness.</summary>
public sealed class RolloutTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(1_784_728_800);

    private static Release Rolling(double? startValue = 0.2, long? minutes = 100, long? epoch = 1_784_728_800) => new()
    {
        StreamName = "stable",
        Version = "44.20260707.3.1",
        HasRollout = true,
        RolloutStartEpoch = epoch,
        RolloutStartPercentage = startValue,
        RolloutDurationMinutes = minutes,
    };

    [Theory]
    [InlineData(-1, 0.0)]            // before the start: nobody
    [InlineData(0, 0.2)]             // at the start: the start value
    [InlineData(25 * 60, 0.4)]       // a quarter in: 0.2 + 0.8 * 0.25
    [InlineData(50 * 60, 0.6)]
    [InlineData(100 * 60, 1.0)]      // the end
    [InlineData(100 * 60 + 1, 1.0)]  // after: everybody
    public void Throttle_DuringRollout_FollowsTheFormula(long secondsAfterStart, double expected)
    {
        var throttle = Rollout.Throttle(Rolling(), Start.AddSeconds(secondsAfterStart));

        Assert.Equal(expected, throttle, precision: 9);
    }

    [Fact]
    public void Throttle_NoDuration_StaysAtStartValue()
    {
        Assert.Equal(0.3, Rollout.Throttle(Rolling(0.3, minutes: null), Start.AddDays(365)), precision: 9);
        Assert.Equal(0, Rollout.Throttle(Rolling(0.3, minutes: null), Start.AddSeconds(-1)));
    }

    [Fact]
    public void Throttle_DefaultsAsUpstream_StartEpochZeroStartValueZeroDurationAtLeastOneMinute()
    {
        Assert.Equal(1, Rollout.Throttle(Rolling(startValue: null, minutes: 0, epoch: null), Start));
        Assert.Equal(1, Rollout.Throttle(new Release { StreamName = "s", Version = "1" }, Start));   // not rolling out: not throttled
        Assert.Equal(0.5, Rollout.Throttle(Rolling(startValue: null, minutes: 0), Start.AddSeconds(30)), precision: 9);
    }

    [Fact]
    public void IsHiddenFrom_WarinessAboveThrottle_Hidden()
    {
        var release = Rolling();
        var halfway = Start.AddMinutes(50);   // throttle 0.6

        Assert.True(Rollout.IsHiddenFrom(release, 0.61, halfway));
        Assert.False(Rollout.IsHiddenFrom(release, 0.6, halfway));
        Assert.False(Rollout.IsHiddenFrom(release, 0.0, Start));
        // Before the start the throttle is 0: hidden from everybody but the boldest (wariness 0 is not above 0), as upstream.
        Assert.True(Rollout.IsHiddenFrom(release, 0.01, Start.AddSeconds(-1)));
        Assert.False(Rollout.IsHiddenFrom(release, 0.0, Start.AddSeconds(-1)));
    }

    [Fact]
    public void Wariness_Given_ParsedAndClamped()
    {
        Assert.Equal(0.5, Rollout.Wariness("0.500000", "whatever"));
        Assert.Equal(1, Rollout.Wariness("7", null));
        Assert.Equal(0, Rollout.Wariness("-1", null));
        Assert.Null(Rollout.ParseWariness("NaN"));
        Assert.Null(Rollout.ParseWariness("half"));
    }

    [Fact]
    public void Wariness_Derived_DeterministicInRangeAndIndependentOfSpelling()
    {
        const string uuid = "c988d2509fdf4cdcbed39037c56406fb";

        var first = Rollout.Wariness(null, uuid);

        Assert.Equal(first, Rollout.Wariness(null, uuid));
        Assert.Equal(first, Rollout.Wariness("", "C988D250-9FDF-4CDC-BED3-9037C56406FB"));
        Assert.InRange(first, Rollout.ComputedMinimum, 1);
        // The documented hash: SHA-256 of the canonical UUID, first 8 bytes big-endian over 2^64 - 1.
        var digest = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(uuid));
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest) / (double)ulong.MaxValue, first);
    }

    [Fact]
    public void Wariness_Derived_SpreadsDevicesOverTheRange()
    {
        var values = Enumerable.Range(0, 2000).Select(i => Rollout.DerivedWariness(Guid.NewGuid().ToString("N"))).ToList();

        Assert.InRange(values.Count(v => v < 0.25), 400, 600);
        Assert.InRange(values.Count(v => v >= 0.75), 400, 600);
    }
}
