using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>What a driver step decided: the new state, events to report, and whether to reboot now.</summary>
public sealed record DriverStep(UpdateState State, IReadOnlyList<UpdateEvent> Events, bool Reboot)
{
    public static DriverStep Nothing(UpdateState state) => new(state, [], false);
}

/// <summary>
/// Updates a host that has no Zincati the way Zincati would: asks the portal's Cincinnati endpoint for
/// the graph, deploys the newest reachable release (or only the pinned one), takes the FleetLock
/// slot, reboots, and judges the new boot. Also runs rollback commands, on any host. Every step works
/// from <see cref="UpdateState"/>, which survives the reboot, so a step never depends on the process
/// having lived through the previous one.
/// </summary>
public sealed class UpdateDriver(
    IRpmOstree rpmOstree,
    CincinnatiClient cincinnati,
    FleetLockClient fleetLock,
    IUpdateHost host,
    TimeProvider time,
    ILogger<UpdateDriver> logger)
{
    /// <summary>How long a release that failed to deploy is left alone before it is tried again.</summary>
    public static readonly TimeSpan FailedTargetRetry = TimeSpan.FromHours(1);

    /// <summary>How long a requested reboot may take to happen before it is requested again.</summary>
    public static readonly TimeSpan RebootGrace = TimeSpan.FromMinutes(10);

    /// <summary>How long a new boot waits for greenboot's verdict before it counts as good.</summary>
    public static readonly TimeSpan GreenbootWait = TimeSpan.FromMinutes(10);

    /// <summary>Asks for an update and, if there is one, deploys it and goes on towards the reboot. Paused: does nothing.</summary>
    public async Task<DriverStep> CheckAsync(UpdateState state, Observation observation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(observation);
        var policy = state.Policy!;
        var booted = observation.Booted!;
        var now = time.GetUtcNow();
        state = state with { LastCheckAt = now };
        if (!policy.UpdatesEnabled)
        {
            return DriverStep.Nothing(state);
        }

        CincinnatiGraph graph;
        try
        {
            var query = new GraphQuery(host.Basearch, policy.Stream, booted.Version ?? string.Empty, booted.BaseRevision, policy.Group, observation.NodeUuid!, host.ReadPlatform());
            graph = await cincinnati.GetGraphAsync(policy.CincinnatiBaseUrl, query, cancellationToken);
        }
        catch (Exception ex) when (ex is UpdateServerException or HttpRequestException or UriFormatException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning("Update check at {Url} failed: {Error}", policy.CincinnatiBaseUrl, ex.Message);
            return DriverStep.Nothing(state);
        }

        var (target, why) = UpdateTargetSelector.Select(graph, booted.BaseRevision, booted.Version, policy.PinnedVersion);
        if (target is null)
        {
            logger.LogDebug("No update for {Version}: {Why}", booted.Version, why);
            return DriverStep.Nothing(state);
        }

        if (state.FailedTarget?.Checksum == target.Payload && now - state.FailedAt < FailedTargetRetry)
        {
            logger.LogDebug("Not trying {Version} again before {Time:u}", target.Version, state.FailedAt + FailedTargetRetry);
            return DriverStep.Nothing(state);
        }

        logger.LogInformation("Updating from {From} to {To} (stream {Stream}{Pin})", booted.Version, target.Version, policy.Stream, policy.PinnedVersion is null ? string.Empty : ", pinned");
        var events = new List<UpdateEvent> { UpdateEvents.New(UpdateEventKind.Started, now, target.Version) };
        var checksum = target.IsChecksumPayload ? target.Payload : null;
        try
        {
            await rpmOstree.DeployAsync(checksum is null ? target.Version : $"revision={checksum}", cancellationToken);
        }
        catch (Exception ex) when (ex is RpmOstreeException or TimeoutException or ToolNotFoundException)
        {
            logger.LogWarning("Deploying {Version} failed: {Error}", target.Version, ex.Message);
            events.Add(UpdateEvents.New(UpdateEventKind.Failed, time.GetUtcNow(), target.Version, ex.Message));
            return new DriverStep(state with { FailedTarget = new DeploymentRecord(target.Payload, target.Version), FailedAt = now }, events, false);
        }

        events.Add(UpdateEvents.New(UpdateEventKind.Staged, time.GetUtcNow(), target.Version));
        state = state with
        {
            Pending = new PendingUpdate(PendingKind.Update, target.Version, checksum, booted.BaseRevision, booted.Version, PendingPhase.Staged, now),
            FailedTarget = null,
            FailedAt = null,
        };
        var next = await TakeLockAsync(state, observation, cancellationToken);
        return next with { Events = [.. events, .. next.Events] };
    }

    /// <summary>Runs a rollback command: <c>rpm-ostree rollback</c>, then the lock and the reboot as for an update. Paused or not.</summary>
    public async Task<DriverStep> RollbackAsync(UpdateState state, Observation observation, string commandId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(observation);
        var now = time.GetUtcNow();
        var booted = observation.Booted!;
        state = state with { HandledRollbackId = commandId };
        var target = observation.Status!.Rollback;
        if (target is null)
        {
            logger.LogWarning("Rollback command {Id}: there is no previous deployment to roll back to", commandId);
            return new DriverStep(state, [UpdateEvents.New(UpdateEventKind.Failed, now, null, $"rollback command {commandId}: no previous deployment to roll back to")], false);
        }

        logger.LogWarning("Rollback command {Id}: rolling back from {From} to {To}", commandId, booted.Version, target.Version);
        try
        {
            await rpmOstree.RollbackAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RpmOstreeException or TimeoutException or ToolNotFoundException)
        {
            return new DriverStep(state, [UpdateEvents.New(UpdateEventKind.Failed, now, null, $"rollback command {commandId}: {ex.Message}")], false);
        }

        state = state with { Pending = new PendingUpdate(PendingKind.Rollback, target.Version, null, booted.BaseRevision, booted.Version, PendingPhase.Staged, now) };
        return await TakeLockAsync(state, observation, cancellationToken);
    }

    /// <summary>Moves a started update or rollback on: lock and reboot, or judge the boot after it.</summary>
    public async Task<DriverStep> ContinueAsync(UpdateState state, Observation observation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(observation);
        var pending = state.Pending!;
        var now = time.GetUtcNow();
        if (pending.Phase == PendingPhase.Staged)
        {
            if (pending.Kind == PendingKind.Update && !IsStaged(observation, pending))
            {
                logger.LogWarning("The staged deployment of {Version} is gone (cleaned up by someone?); giving up on it", pending.TargetVersion);
                return new DriverStep(state with { Pending = null }, [UpdateEvents.New(UpdateEventKind.Failed, now, pending.TargetVersion, "the staged deployment disappeared before the reboot")], false);
            }

            // Paused: keep it staged and do not reboot for it. A rollback was asked for explicitly and goes on.
            return pending.Kind == PendingKind.Update && !state.Policy!.UpdatesEnabled
                ? DriverStep.Nothing(state)
                : await TakeLockAsync(state, observation, cancellationToken);
        }

        if (observation.BootId == pending.RebootBootId)
        {
            if (now - pending.RebootRequestedAt >= RebootGrace)
            {
                logger.LogWarning("The reboot requested at {Time:u} has not happened; requesting it again", pending.RebootRequestedAt);
                return new DriverStep(state with { Pending = pending with { RebootRequestedAt = now } }, [], true);
            }

            return DriverStep.Nothing(state);
        }

        return Judge(state, observation, now);
    }

    /// <summary>Gives back the FleetLock slot taken before the reboot; kept as held (and retried) while the server cannot be reached.</summary>
    public async Task<UpdateState> ReleaseLockAsync(UpdateState state, Observation observation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(observation);
        var policy = state.Policy!;
        try
        {
            var result = await fleetLock.SteadyStateAsync(policy.FleetLockBaseUrl, observation.NodeUuid!, policy.Group, cancellationToken);
            if (result.Granted)
            {
                logger.LogInformation("Reboot lock released (group {Group})", policy.Group);
                return state with { LockHeld = false };
            }

            logger.LogWarning("Releasing the reboot lock was refused: {Reason}; trying again later", result.Reason);
        }
        catch (Exception ex) when (ex is HttpRequestException or UriFormatException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            logger.LogWarning("Releasing the reboot lock failed: {Error}; trying again later", ex.Message);
        }

        return state;
    }

    private async Task<DriverStep> TakeLockAsync(UpdateState state, Observation observation, CancellationToken cancellationToken)
    {
        var policy = state.Policy!;
        var pending = state.Pending!;
        LockResult result;
        try
        {
            result = await fleetLock.PreRebootAsync(policy.FleetLockBaseUrl, observation.NodeUuid!, policy.Group, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or UriFormatException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            result = new LockResult(false, ex.Message);
        }

        if (!result.Granted)
        {
            logger.LogInformation("Reboot lock not granted ({Reason}); {Version} stays staged until it is", result.Reason, pending.TargetVersion);
            return DriverStep.Nothing(state);
        }

        var now = time.GetUtcNow();
        logger.LogWarning("Reboot lock taken (group {Group}); rebooting into {Version}", policy.Group, pending.TargetVersion);
        state = state with
        {
            LockHeld = true,
            Pending = pending with { Phase = PendingPhase.Rebooting, RebootBootId = observation.BootId, RebootRequestedAt = now },
        };
        return new DriverStep(state, [UpdateEvents.New(UpdateEventKind.Rebooting, now, pending.TargetVersion)], true);
    }

    private DriverStep Judge(UpdateState state, Observation observation, DateTimeOffset now)
    {
        var pending = state.Pending!;
        var booted = observation.Booted!;
        UpdateEvent outcome;
        if (pending.Kind == PendingKind.Rollback)
        {
            outcome = booted.BaseRevision != pending.FromChecksum
                ? UpdateEvents.New(UpdateEventKind.RolledBack, now, pending.FromVersion, "rollback command")
                : UpdateEvents.New(UpdateEventKind.Failed, now, null, "the rollback did not take effect: the same deployment booted again");
        }
        else if (pending.TargetChecksum is null ? booted.Version == pending.TargetVersion : booted.BaseRevision == pending.TargetChecksum)
        {
            if (observation.Greenboot.Status == GreenbootStatus.Unknown && host.IsGreenbootInstalled())
            {
                var seen = pending.NewBootSeenAt ?? now;
                if (now - seen < GreenbootWait)
                {
                    return DriverStep.Nothing(state with { Pending = pending with { NewBootSeenAt = seen } });
                }
            }

            // Red: greenboot reboots and falls back by itself; the rollback is reported when it happens.
            outcome = observation.Greenboot.Status == GreenbootStatus.Red
                ? UpdateEvents.New(UpdateEventKind.Failed, now, pending.TargetVersion, "greenboot: a required health check failed on the new deployment")
                : UpdateEvents.New(UpdateEventKind.Succeeded, now, pending.TargetVersion);
        }
        else if (booted.BaseRevision == pending.FromChecksum)
        {
            outcome = UpdateEvents.New(UpdateEventKind.RolledBack, now, pending.TargetVersion, "the device booted its previous deployment again (boot failure or greenboot fallback)");
        }
        else
        {
            outcome = UpdateEvents.New(UpdateEventKind.Failed, now, pending.TargetVersion, $"booted {booted.Version ?? booted.BaseRevision} instead");
        }

        logger.Log(
            outcome.Kind == UpdateEventKind.Succeeded ? LogLevel.Information : LogLevel.Warning,
            "{Kind} after reboot: {Version}{Error}",
            outcome.Kind,
            outcome.TargetVersion ?? booted.Version,
            outcome.Error is null ? string.Empty : $" ({outcome.Error})");
        // A release that did not boot (or failed its health checks) is not tried again for a while: without
        // this the device would deploy it again on the next check, before the portal halts it, and loop.
        var next = outcome.Kind != UpdateEventKind.Succeeded && pending.TargetChecksum is { } failedChecksum
            ? state with { Pending = null, FailedTarget = new DeploymentRecord(failedChecksum, pending.TargetVersion), FailedAt = now }
            : state with { Pending = null };
        return new DriverStep(next, [outcome], false);
    }

    private static bool IsStaged(Observation observation, PendingUpdate pending) =>
        observation.Status?.Staged is { } staged
        && (pending.TargetChecksum is null ? staged.Version == pending.TargetVersion : staged.BaseRevision == pending.TargetChecksum);
}
