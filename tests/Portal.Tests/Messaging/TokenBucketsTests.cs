using Fleet.Portal.Messaging;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>The broker's rate limits (enrolment per client id and per address, health reports per device).</summary>
public sealed class TokenBucketsTests
{
    [Fact]
    public void TryTake_BurstThenRefillsAtTheRate_KeysIndependent()
    {
        var time = new FakeTimeProvider();
        var buckets = new TokenBuckets(burst: 3, perSecond: 0.5, time);

        Assert.True(buckets.TryTake("a"));
        Assert.True(buckets.TryTake("a"));
        Assert.True(buckets.TryTake("a"));
        Assert.False(buckets.TryTake("a"));
        Assert.True(buckets.TryTake("b"));   // another key has its own bucket

        time.Advance(TimeSpan.FromSeconds(1.9));
        Assert.False(buckets.TryTake("a"));   // 0.95 of a token
        time.Advance(TimeSpan.FromSeconds(0.2));
        Assert.True(buckets.TryTake("a"));
        Assert.False(buckets.TryTake("a"));
    }

    [Fact]
    public void TryTake_RefusalsTakeNothing_AndAFullBucketHoldsNoMoreThanTheBurst()
    {
        var time = new FakeTimeProvider();
        var buckets = new TokenBuckets(burst: 2, perSecond: 1, time);
        Assert.True(buckets.TryTake("a"));
        Assert.True(buckets.TryTake("a"));
        for (var i = 0; i < 10; i++)
        {
            Assert.False(buckets.TryTake("a"));
        }

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(buckets.TryTake("a"));   // the refused attempts did not push the refill back

        time.Advance(TimeSpan.FromHours(1));
        Assert.True(buckets.TryTake("a"));
        Assert.True(buckets.TryTake("a"));
        Assert.False(buckets.TryTake("a"));
    }

    [Fact]
    public void Sweep_DropsOnlyRefilledBuckets_SoALimitOutlivesShortSilence()
    {
        var time = new FakeTimeProvider();
        var buckets = new TokenBuckets(burst: 5, perSecond: 12 / 60.0, time);   // the enrolment default per client: 12/min, burst 5
        TakesExactly(buckets, "flooder", 5);

        // Fifteen seconds of silence are worth three tokens: the flooder gets three, not a fresh bucket of five.
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.True(buckets.TryTake("other"));
        Assert.Equal(2, buckets.Count);
        TakesExactly(buckets, "flooder", 3);

        // Long enough for every bucket to refill: the next use sweeps them all away but its own.
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.True(buckets.TryTake("late"));
        Assert.Equal(1, buckets.Count);
    }

    /// <summary><paramref name="key"/> gets exactly <paramref name="count"/> tokens, then is refused.</summary>
    private static void TakesExactly(TokenBuckets buckets, string key, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(buckets.TryTake(key));
        }

        Assert.False(buckets.TryTake(key));
    }
}
