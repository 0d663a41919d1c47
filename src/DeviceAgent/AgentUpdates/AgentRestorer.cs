using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.AgentUpdates;

/// <summary>
/// <c>fleet-agent --rollback-if-pending</c>, run by systemd as the previous build (<c>.previous</c>): by the timer
/// armed before a swap, or by <c>fleet-agent-rollback.service</c> when the new build's unit fails. When a swap is
/// still pending it copies the previous build back over the binary, records the roll-back (reported by the restored
/// agent once online; that build is not tried again) and restarts the agent. With nothing pending it does nothing.
/// </summary>
public sealed class AgentRestorer(SelfUpdateStore store, AgentUnits units, TimeProvider time, ILogger logger)
{
    /// <summary>Returns the exit code: 0 when nothing was pending or the previous build is back and restarted.
    /// </summary>
    public async Task<int> RollbackIfPendingAsync(CancellationToken cancellationToken)
    {
        var state = store.Load();
        if (state.Pending is not { } pending)
        {
            logger.LogInformation("No agent update is pending; nothing to roll back");
            return 0;
        }

        var reason = time.GetUtcNow() >= pending.Deadline
            ? $"did not come online within {pending.Seconds} s"
            : "crash-looped: its unit failed before it came online";
        var binary = new AgentBinary(pending.Binary);
        try
        {
            binary.CopyAtomically(binary.Previous, binary.Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogError(
                "Agent {To} {Reason}, but {Previous} could not be copied back over {Binary}: {Error}",
                pending.To, reason, binary.Previous, binary.Path, ex.Message);
            return 1;
        }

        var detail = $"Agent {pending.To} {reason}; {pending.From} was restored.";
        store.Save(state.WithReport(new AgentUpdateReport(
            pending.To, AgentUpdateResult.RolledBack, time.GetUtcNow(), Cut(detail))) with
        {
            Pending = null,
            Declined = new OfferedBuild(pending.To, pending.Sha512),
        });
        logger.LogWarning("{Detail} Restarting {Unit}", detail, AgentUnits.AgentUnit);
        try
        {
            await units.RestartAgentAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Updates.ToolNotFoundException
            or TimeoutException)
        {
            logger.LogError("The previous agent is back, but restarting it failed: {Error}", ex.Message);
            return 1;
        }

        return 0;
    }

    internal static string Cut(string detail) =>
        detail.Length <= Protocol.MaxUpdateErrorLength ? detail : detail[..Protocol.MaxUpdateErrorLength];
}
