using System.Globalization;
using Fleet.DeviceAgent.Updates;

namespace Fleet.DeviceAgent.AgentUpdates;

/// <summary>
/// The systemd side of self-update, through <c>systemd-run</c> and <c>systemctl</c> from PATH: the restorer timer
/// armed before a swap and stopped once the new build is online, and the restart of the agent's unit after a
/// roll-back.
/// </summary>
public sealed class AgentUnits(IProcessRunner runner)
{
    /// <summary>The agent's unit (<c>src/DeviceAgent/fleet-agent.service</c>).</summary>
    public const string AgentUnit = "fleet-agent.service";

    /// <summary>The transient unit <c>systemd-run</c> makes for the restorer (a .timer and a .service).</summary>
    public const string RestorerUnit = "fleet-agent-rollback-check";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Arms the restorer: in <paramref name="seconds"/> s systemd runs <c>{previous} --rollback-if-pending</c> with the
    /// agent's state folder. A timer left from an earlier swap is stopped first (the name must be free).
    /// </summary>
    public async Task ScheduleRestorerAsync(
        string previous, int seconds, string stateDirectory, CancellationToken cancellationToken)
    {
        await CancelRestorerAsync(cancellationToken);
        await runner.RunAsync(
            "systemctl", ["reset-failed", RestorerUnit + ".service"], Timeout, cancellationToken);
        var result = await runner.RunAsync(
            "systemd-run",
            [
                "--on-active=" + seconds.ToString(CultureInfo.InvariantCulture),
                "--unit", RestorerUnit,
                "--setenv=Agent__StateDirectory=" + stateDirectory,
                previous,
                SelfUpdateCommand.RollbackSwitch,
            ],
            Timeout,
            cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"systemd-run could not arm the restorer: {result.Explanation}");
        }
    }

    /// <summary>Stops the restorer's timer; what systemctl said (it fails when there is no such timer).</summary>
    public async Task<ProcessResult> CancelRestorerAsync(CancellationToken cancellationToken) =>
        await runner.RunAsync("systemctl", ["stop", RestorerUnit + ".timer"], Timeout, cancellationToken);

    /// <summary>Restarts the agent's unit, also when it failed after too many restarts.</summary>
    public async Task RestartAgentAsync(CancellationToken cancellationToken)
    {
        await runner.RunAsync("systemctl", ["reset-failed", AgentUnit], Timeout, cancellationToken);
        var result = await runner.RunAsync("systemctl", ["restart", AgentUnit], Timeout, cancellationToken);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"systemctl restart {AgentUnit} failed: {result.Explanation}");
        }
    }
}
