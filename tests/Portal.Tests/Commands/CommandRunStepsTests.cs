using Fleet.Portal.Features.Commands.Runs;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Commands;

/// <summary>The runner's decisions: release up to the concurrency, pause at the threshold, complete at the end.
/// </summary>
public sealed class CommandRunStepsTests
{
    [Theory]
    [InlineData(1000, 5, true, 50)]
    [InlineData(1000, 1, true, 10)]
    [InlineData(7, 10, true, 1)]
    [InlineData(30, 10, true, 3)]
    [InlineData(1000, 5, false, 5)]
    public void FailureLimit_CountOrPercentRoundedUpAtLeastOne(int devices, int threshold, bool percent, int limit) =>
        Assert.Equal(limit, CommandRunSteps.FailureLimit(devices, threshold, percent));

    [Fact]
    public void Next_FreeSlots_ReleasesUpToTheConcurrency()
    {
        var step = CommandRunSteps.Next(Run(concurrency: 10), new CommandRunCounts(Held: 50, Queued: 3, Running: 4));

        Assert.Equal(new CommandRunStep(3, null, false), step);
    }

    [Fact]
    public void Next_FewerHeldThanFreeSlots_ReleasesThemAll()
    {
        var step = CommandRunSteps.Next(Run(concurrency: 10), new CommandRunCounts(Held: 2, Succeeded: 40));

        Assert.Equal(2, step.Release);
    }

    [Fact]
    public void Next_FullOrOverfull_ReleasesNothing()
    {
        var step = CommandRunSteps.Next(Run(concurrency: 5), new CommandRunCounts(Held: 9, Delivered: 6));

        Assert.Equal(new CommandRunStep(0, null, false), step);
    }

    [Fact]
    public void Next_FailuresReachTheLimit_PausesWithTheCount()
    {
        var step = CommandRunSteps.Next(Run(limit: 3), new CommandRunCounts(Held: 9, Failed: 3, Running: 1));

        Assert.Equal(0, step.Release);
        Assert.Contains("3 commands failed", step.PauseReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Next_FailuresForgivenAtResume_DoNotCountAgain()
    {
        var run = Run(limit: 3);
        run.FailuresForgiven = 3;

        var step = CommandRunSteps.Next(run, new CommandRunCounts(Held: 9, Failed: 5));

        Assert.Null(step.PauseReason);
        Assert.Equal(9, step.Release);
    }

    [Fact]
    public void Next_NothingHeldOrInFlight_Completes()
    {
        var step = CommandRunSteps.Next(Run(), new CommandRunCounts(Succeeded: 8, Failed: 1, Expired: 1));

        Assert.True(step.Complete);
    }

    [Fact]
    public void Counts_FromGroups_EveryStateInItsPlace()
    {
        var counts = CommandRunCounts.From(
            [(CommandState.Held, 1), (CommandState.Queued, 2), (CommandState.Running, 3), (CommandState.Failed, 4)]);

        Assert.Equal((1, 5, 4, 10), (counts.Held, counts.InFlight, counts.Finished, counts.Total));
        Assert.Equal(3, counts.Of(CommandState.Running));
    }

    private static CommandRun Run(int concurrency = 10, int limit = 100) => new()
    {
        Kind = CommandKinds.Reboot, OrderJson = "{}", StartedBy = "t", Selection = "s", Devices = 100,
        Concurrency = concurrency, FailureThreshold = limit, FailureLimit = limit,
    };
}
