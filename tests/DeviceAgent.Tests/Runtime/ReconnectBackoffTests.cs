using Fleet.DeviceAgent.Runtime;

namespace Fleet.DeviceAgent.Tests.Runtime;

public sealed class ReconnectBackoffTests
{
    [Fact]
    public void Next_RepeatedFailures_DoublesUpToSixtySecondsWithJitter()
    {
        var backoff = ReconnectBackoff.Default(new Random(5));

        var delays = Enumerable.Range(0, 12).Select(_ => backoff.Next().TotalSeconds).ToList();

        double[] ceilings = [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60];
        Assert.All(delays.Zip(ceilings), pair => Assert.InRange(pair.First, pair.Second / 2, pair.Second));
        Assert.True(delays.Skip(6).Distinct().Count() > 1, "delays at the cap must still be jittered");
    }

    [Fact]
    public void Reset_AfterFailures_StartsAgainAtOneSecond()
    {
        var backoff = ReconnectBackoff.Default(new Random(5));
        for (var i = 0; i < 8; i++)
        {
            backoff.Next();
        }

        backoff.Reset();

        Assert.InRange(backoff.Next().TotalSeconds, 0.5, 1);
    }
}
