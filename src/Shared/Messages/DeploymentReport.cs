namespace Fleet.Shared.Messages;

/// <summary>
/// Agent → portal on <see cref="Topics.Deployments"/>: the device's OS deployments as
/// <c>rpm-ostree status --json</c> shows them, its greenboot verdict, and at most one update event.
/// Sent after connecting, after every change and every few minutes. A report that carries an
/// <see cref="Event"/> is sent until acknowledged (at least once); the portal ignores an event whose id
/// it has just recorded.
/// </summary>
/// <param name="SentAt">When the agent built the report (agent clock).</param>
/// <param name="UpdateAgent">Who applies updates on the device.</param>
/// <param name="Greenboot">The greenboot health-check verdict of the current boot.</param>
/// <param name="RollbackDetected">
/// Whether the current boot is a rollback: the booted deployment is older than the one booted before it,
/// or greenboot reported a fallback boot. True for every report of such a boot.
/// </param>
/// <param name="Booted">The deployment the device runs; absent when the host is not rpm-ostree based or its status could not be read.</param>
/// <param name="Staged">The deployment staged for the next boot, if any.</param>
/// <param name="NodeUuid">
/// The node id Zincati and the agent send to the Cincinnati and FleetLock endpoints: 32 lower-case hex
/// digits (see <see cref="NodeUuid"/>). Lets the portal match those requests to this device.
/// </param>
/// <param name="RollbackCommandId">The id of the last <see cref="UpdatePolicy.RollbackCommandId"/> the agent acted on: its acknowledgement.</param>
/// <param name="Event">Something the update process did since the last report.</param>
public sealed record DeploymentReport(
    DateTimeOffset SentAt,
    UpdateAgentKind UpdateAgent,
    GreenbootStatus Greenboot,
    bool RollbackDetected,
    DeploymentInfo? Booted = null,
    DeploymentInfo? Staged = null,
    string? NodeUuid = null,
    string? RollbackCommandId = null,
    UpdateEvent? Event = null);

/// <summary>One OSTree deployment.</summary>
/// <param name="Checksum">
/// The base commit: rpm-ostree's <c>base-checksum</c> when packages are layered on top, else <c>checksum</c>.
/// 64 lower-case hex digits. This is what a release's payload names.
/// </param>
/// <param name="Version">The commit's version (<c>42.20250901.3.0</c>); absent for a commit without one.</param>
/// <param name="Origin">Where the deployment came from: <c>container-image-reference</c> or the <c>origin</c> refspec.</param>
/// <param name="Pinned">Whether the deployment is pinned (<c>ostree admin pin</c>), so it is never cleaned up.</param>
/// <param name="Timestamp">The commit's build time.</param>
public sealed record DeploymentInfo(
    string Checksum,
    string? Version = null,
    string? Origin = null,
    bool Pinned = false,
    DateTimeOffset? Timestamp = null);

/// <summary>A step of an OS update (or of a rollback) on the device.</summary>
/// <param name="Id">Unique per event (the agent uses 32 random hex digits); a re-sent event keeps its id.</param>
/// <param name="Kind">What happened.</param>
/// <param name="At">When it happened (agent clock).</param>
/// <param name="TargetVersion">
/// The release the event is about: the version being installed (started, staged, rebooting, succeeded,
/// failed), or for <see cref="UpdateEventKind.RolledBack"/> the version the device left.
/// </param>
/// <param name="Error">Why it failed, from the tool's own output; at most <see cref="Protocol.MaxUpdateErrorLength"/> characters.</param>
public sealed record UpdateEvent(
    string Id,
    UpdateEventKind Kind,
    DateTimeOffset At,
    string? TargetVersion = null,
    string? Error = null);

/// <summary>The steps of an update.</summary>
public enum UpdateEventKind
{
    /// <summary>The agent found a target release and started downloading it.</summary>
    Started,

    /// <summary>The new deployment is staged for the next boot (by the agent or by Zincati).</summary>
    Staged,

    /// <summary>The reboot lock is held and the device reboots into the new deployment now.</summary>
    Rebooting,

    /// <summary>The device booted the target release (and greenboot, where installed, passed).</summary>
    Succeeded,

    /// <summary>The update failed: download, deployment, or the health check of the new boot.</summary>
    Failed,

    /// <summary>The device went back to an older deployment (greenboot fallback, failed boot, or a rollback command).</summary>
    RolledBack,
}

/// <summary>Greenboot's verdict on the current boot.</summary>
public enum GreenbootStatus
{
    /// <summary>Greenboot is not installed, or has not decided yet.</summary>
    Unknown,

    /// <summary>The required health checks passed.</summary>
    Green,

    /// <summary>A required health check failed; greenboot reboots and eventually falls back to the previous deployment.</summary>
    Red,
}

/// <summary>Who applies OS updates on the device.</summary>
public enum UpdateAgentKind
{
    /// <summary>Nobody: the host is not rpm-ostree based, or the agent's update management is switched off and Zincati is absent.</summary>
    None,

    /// <summary>Zincati, configured by the agent through a drop-in that points it at the portal.</summary>
    Zincati,

    /// <summary>The Fleet agent itself, speaking Cincinnati and FleetLock to the portal the way Zincati does.</summary>
    Fleet,
}
