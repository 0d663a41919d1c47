namespace Fleet.Portal.Features.Commands.Runs;

/// <summary>What the runner does next with a running run.</summary>
/// <param name="Release">How many held commands to release now.</param>
/// <param name="PauseReason">Pause with this reason instead (the failures reached the limit).</param>
/// <param name="Complete">Every command reached a final state.</param>
internal readonly record struct CommandRunStep(int Release, string? PauseReason, bool Complete);

/// <summary>The runner's decisions, as pure functions of a run and its counts.</summary>
internal static class CommandRunSteps
{
    /// <summary>Failed commands since the start or the last resume that pause a run of
    /// <paramref name="devices"/>: the count as given, or the percent rounded up, at least 1.</summary>
    public static int FailureLimit(int devices, int threshold, bool isPercent) =>
        isPercent ? Math.Max(1, (int)Math.Ceiling(devices * threshold / 100.0)) : threshold;

    /// <summary>The next step of a <see cref="CommandRunState.Running"/> run: pause when the failures since the
    /// last resume reached the limit, complete when nothing is held or in flight, else release up to the
    /// concurrency.</summary>
    public static CommandRunStep Next(CommandRun run, CommandRunCounts counts)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(counts);
        var failures = counts.Failed - run.FailuresForgiven;
        if (failures >= run.FailureLimit)
        {
            return new(0, $"automatic: {failures} commands failed, the threshold is {Threshold(run)}", false);
        }

        if (counts.Held == 0 && counts.InFlight == 0)
        {
            return new(0, null, true);
        }

        return new(Math.Min(counts.Held, Math.Max(0, run.Concurrency - counts.InFlight)), null, false);
    }

    private static string Threshold(CommandRun run) => run.FailureThresholdIsPercent
        ? $"{run.FailureThreshold} % of {run.Devices} devices ({run.FailureLimit})"
        : $"{run.FailureLimit}";
}
