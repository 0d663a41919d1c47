using Fleet.Portal.Features.Health;

namespace Fleet.Portal.Tests.Health;

/// <summary>Which report is a device's latest state when reports arrive late or out of order.</summary>
public sealed class HealthLatestRuleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    /// <summary>The latest: report 10, sampled now, arrived a second later (charted at its own time).</summary>
    private static readonly DeviceHealth Ten = Current(10, at: Now, receivedAt: Now.AddSeconds(1));

    [Fact]
    public void IsNewer_OlderQueuedReportAfterANewerOne_False() =>
        Assert.False(HealthBatch.IsNewer(9, Now.AddHours(-2), Now.AddSeconds(5), Ten));

    [Fact]
    public void IsNewer_ReDeliveryOfTheSameReport_True() =>
        Assert.True(HealthBatch.IsNewer(10, Now, Now.AddSeconds(30), Ten));

    [Fact]
    public void IsNewer_ChartedAtArrivalButLowerSequenceThanABelievedOne_False() =>
        Assert.False(HealthBatch.IsNewer(8, Now.AddSeconds(5), Now.AddSeconds(5), Ten));

    [Fact]
    public void IsNewer_BelievedAfterOneChartedAtArrival_HigherSequenceWins()
    {
        var chartedAtArrival = Current(8, at: Now.AddSeconds(5), receivedAt: Now.AddSeconds(5));

        Assert.True(HealthBatch.IsNewer(9, Now.AddDays(-6), Now.AddSeconds(6), chartedAtArrival));
    }

    [Fact]
    public void IsNewer_WrongClockDeviceEveryReportAtArrival_LaterArrivalWins() =>
        Assert.True(HealthBatch.IsNewer(3, Now.AddMinutes(1), Now.AddMinutes(1), Current(2, at: Now, receivedAt: Now)));

    [Fact]
    public void IsNewer_AgentLostItsStateSequenceStartsAgain_LaterTimeWins() =>
        Assert.True(HealthBatch.IsNewer(1, Now.AddMinutes(1), Now.AddMinutes(1).AddSeconds(1), Ten));

    private static DeviceHealth Current(long sequence, DateTimeOffset at, DateTimeOffset receivedAt) =>
        new() { Sequence = sequence, At = at, ReceivedAt = receivedAt, ReportJson = "{}" };
}
