using System.Security.Cryptography;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Updates;

/// <summary>One look at the host: deployments, greenboot, boot id, and what that means for rollbacks.</summary>
public sealed record Observation(
    RpmOstreeStatus? Status,
    GreenbootReading Greenboot,
    string? BootId,
    string? NodeUuid,
    bool ZincatiInstalled,
    bool RollbackDetected)
{
    public OstreeDeployment? Booted => Status?.Booted;
}

/// <summary>
/// Reads the host's deployment state, each source on its own (a failing greenboot check does not hide
/// the deployments), and notices what changed since the last boot: an update someone else applied
/// (Zincati, an administrator), or a rollback.
/// </summary>
public sealed class DeploymentObserver(IRpmOstree rpmOstree, IGreenbootReader greenboot, IUpdateHost host, ILogger<DeploymentObserver> logger)
{
    private RpmOstreeStatus? _lastGood;
    private string? _lastProblem;
    private DateTimeOffset? _undecidedBootSince;

    public async Task<(Observation Observation, UpdateState State, IReadOnlyList<UpdateEvent> Inferred)> ObserveAsync(UpdateState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        var status = await ReadStatusAsync(cancellationToken);
        var reading = new GreenbootReading(GreenbootStatus.Unknown, false);
        try
        {
            reading = await greenboot.ReadAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogDebug("Greenboot status unreadable: {Error}", ex.Message);
        }

        var bootId = host.ReadBootId();
        var inferred = new List<UpdateEvent>();
        if (status?.Booted is { } booted && bootId is not null)
        {
            state = ObserveBoot(state, status, booted, bootId, reading, now, inferred);
        }

        var rollbackDetected = (bootId is not null && state.RollbackBootId == bootId) || reading.FallbackDetected;
        return (new Observation(status, reading, bootId, host.ReadNodeUuid(), host.IsZincatiInstalled(), rollbackDetected), state, inferred);
    }

    private UpdateState ObserveBoot(UpdateState state, RpmOstreeStatus status, OstreeDeployment booted, string bootId, GreenbootReading reading, DateTimeOffset now, List<UpdateEvent> inferred)
    {
        var last = state.LastBoot;
        if (last is null || last.BootId != bootId)
        {
            // Judge a new boot only once greenboot has (or after ten minutes without a verdict).
            var waitForGreenboot = reading.Status == GreenbootStatus.Unknown && host.IsGreenbootInstalled() && state.Pending is null && last is not null;
            _undecidedBootSince ??= now;
            if (!waitForGreenboot || now - _undecidedBootSince >= UpdateDriver.GreenbootWait)
            {
                _undecidedBootSince = null;
                state = JudgeNewBoot(state, booted, bootId, reading, now, inferred);
            }
        }

        // An update the agent did not start (Zincati staged it): say so once.
        var staged = status.Staged;
        if (staged?.BaseRevision != state.LastStaged?.Checksum)
        {
            if (staged is not null && state.Pending is null)
            {
                inferred.Add(UpdateEvents.New(UpdateEventKind.Staged, now, staged.Version));
            }

            state = state with { LastStaged = staged is null ? null : new DeploymentRecord(staged.BaseRevision, staged.Version) };
        }

        return state;
    }

    private static UpdateState JudgeNewBoot(UpdateState state, OstreeDeployment booted, string bootId, GreenbootReading reading, DateTimeOffset now, List<UpdateEvent> inferred)
    {
        var last = state.LastBoot;
        var rolledBack = false;

        // The agent's own updates are judged by the driver, which knows what it meant to boot.
        var foreign = state.Pending is null;
        if (last is not null && last.Checksum != booted.BaseRevision)
        {
            rolledBack = booted.Timestamp is { } bootedAt && last.Timestamp is { } lastAt && bootedAt < lastAt;
            if (foreign)
            {
                inferred.Add(rolledBack
                    ? UpdateEvents.New(UpdateEventKind.RolledBack, now, last.Version, "the device booted an older deployment")
                    : reading.Status == GreenbootStatus.Red
                        ? UpdateEvents.New(UpdateEventKind.Failed, now, booted.Version, "greenboot: a required health check failed")
                        : UpdateEvents.New(UpdateEventKind.Succeeded, now, booted.Version));
            }
        }

        // The failed boot may never have been seen (greenboot rebooted it before the agent ran): greenboot says so.
        if (reading.FallbackDetected && !rolledBack)
        {
            rolledBack = true;
            if (foreign)
            {
                inferred.Add(UpdateEvents.New(UpdateEventKind.RolledBack, now, state.LastStaged?.Version ?? last?.Version, "greenboot fallback boot"));
            }
        }

        return state with
        {
            LastBoot = new BootRecord(bootId, booted.BaseRevision, booted.Version, booted.Timestamp),
            RollbackBootId = rolledBack ? bootId : state.RollbackBootId,
        };
    }

    private async Task<RpmOstreeStatus?> ReadStatusAsync(CancellationToken cancellationToken)
    {
        try
        {
            var status = await rpmOstree.StatusAsync(cancellationToken);
            _lastGood = status;
            _lastProblem = null;
            return status;
        }
        catch (ToolNotFoundException ex)
        {
            LogOnce(LogLevel.Information, $"rpm-ostree is not installed, so this is not an rpm-ostree host: deployments are not reported and updates not managed ({ex.Message})");
            return null;
        }
        catch (Exception ex) when (ex is RpmOstreeException or TimeoutException or IOException or System.ComponentModel.Win32Exception)
        {
            // A busy or restarting daemon is no reason to blank what the portal shows: keep the last good answer.
            LogOnce(LogLevel.Warning, $"rpm-ostree status failed: {ex.Message}");
            return _lastGood;
        }
    }

    private void LogOnce(LogLevel level, string problem)
    {
        if (problem != _lastProblem)
        {
            _lastProblem = problem;
            logger.Log(level, "{Problem}", problem);
        }
    }
}

/// <summary>New update events with random ids, their texts cut to the protocol's limits.</summary>
internal static class UpdateEvents
{
    public static UpdateEvent New(UpdateEventKind kind, DateTimeOffset at, string? targetVersion, string? error = null) => new(
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
        kind,
        at,
        targetVersion is null ? null : targetVersion.Length <= Protocol.MaxVersionLength ? targetVersion : targetVersion[..Protocol.MaxVersionLength],
        error is null ? null : error.Length <= Protocol.MaxUpdateErrorLength ? error : error[..Protocol.MaxUpdateErrorLength]);
}
