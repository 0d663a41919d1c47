namespace Fleet.Portal.Features.Updates;

public enum UpdateTargetKind
{
    Stream,
    Group,
    Device,
}

/// <summary>What a pause or pin applies to: a stream (by name), a group (by id) or a device (by id).</summary>
public sealed record UpdateTarget(UpdateTargetKind Kind, string Key)
{
    public static UpdateTarget Stream(string name) => new(UpdateTargetKind.Stream, name);

    public static UpdateTarget Group(int id) => new(UpdateTargetKind.Group, id.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static UpdateTarget Device(Guid id) => new(UpdateTargetKind.Device, id.ToString("N"));

    /// <summary>The audit entity type: "stream", "group" or "device".</summary>
    public string EntityType => Kind.ToString().ToLowerInvariant();
}

/// <summary>A pause as shown: <see cref="Active"/> is false for none and for an expired one.</summary>
public sealed record PauseInfo(bool Active, DateTimeOffset? At, DateTimeOffset? Until, string? Reason, string? By)
{
    public static PauseInfo Of(IPausable target, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new PauseInfo(Pause.IsActive(target, now), target.PausedAt, target.PausedUntil, target.PauseReason, target.PausedBy);
    }
}

public sealed record StreamInput(string Name, string? Description);

/// <param name="StartAt">When the rollout starts; null: now.</param>
/// <param name="StartPercentage">Share of devices offered the release at the start, 0 to 1.</param>
/// <param name="DurationMinutes">Minutes until every device is offered it; null: it stays at the start share.</param>
public sealed record RolloutInput(DateTimeOffset? StartAt, double StartPercentage, long? DurationMinutes);

public sealed record SettingsInput(string DefaultStream, int FailureThresholdPercent, int FailureMinimumSample);

/// <param name="StreamOverride">Null: the fleet default stream.</param>
/// <param name="MaintenanceDays">None: no window, reboots any time.</param>
/// <param name="Name">The group's name (also the FleetLock and Zincati group).</param>
/// <param name="Description">Free text for people.</param>
/// <param name="FleetLockSlots">Devices of the group that may reboot for an update at once.</param>
/// <param name="MaintenanceStartUtc">Start of the maintenance window, UTC.</param>
/// <param name="MaintenanceDurationMinutes">Length of the maintenance window.</param>
/// <param name="PasswordsAllowed">Whether its devices may connect with a password (else a client certificate only).
/// </param>
public sealed record GroupInput(
    string Name,
    string? Description,
    string? StreamOverride,
    int FleetLockSlots,
    WeekDays MaintenanceDays = WeekDays.None,
    TimeOnly? MaintenanceStartUtc = null,
    int? MaintenanceDurationMinutes = null,
    bool PasswordsAllowed = true);

public sealed record StreamRow(
    string Name,
    string? Description,
    bool IsBuiltIn,
    PauseInfo Pause,
    int ReleaseCount,
    string? NewestVersion,
    DateTimeOffset? LastImportAt,
    string? LastImportBy,
    string? LatestByArchitecture,
    bool IsFleetDefault);

/// <param name="RolloutNow">Share of devices offered the release now (1 when it is not rolling out).</param>
/// <param name="Id">The release's row id.</param>
/// <param name="Stream">The stream it belongs to.</param>
/// <param name="Version">The release version.</param>
/// <param name="AgeIndex">Its position in the stream's releases.json (older first).</param>
/// <param name="PublishedAt">When it was published, if known.</param>
/// <param name="Architectures">Architectures it has a payload for.</param>
/// <param name="HasRollout">Whether updates.json gives it a rollout.</param>
/// <param name="RolloutStartEpoch">Rollout start, Unix seconds.</param>
/// <param name="RolloutStartPercentage">Share offered at the start (0 to 1).</param>
/// <param name="RolloutDurationMinutes">How long the rollout takes to reach everyone.</param>
/// <param name="IsBarrier">Whether every update must pass through it.</param>
/// <param name="BarrierReason">Why it is a barrier.</param>
/// <param name="IsDeadEnd">Whether no update leaves it.</param>
/// <param name="DeadEndReason">Why it is a dead end.</param>
/// <param name="IsHalted">Whether it is halted (no device is sent to it).</param>
/// <param name="HaltedAt">When it was halted.</param>
/// <param name="HaltReason">Why it was halted.</param>
/// <param name="HaltedBy">Who halted it (a user, or the rollout guard).</param>
public sealed record ReleaseRow(
    int Id,
    string Stream,
    string Version,
    int AgeIndex,
    DateTimeOffset? PublishedAt,
    IReadOnlyList<string> Architectures,
    bool HasRollout,
    long? RolloutStartEpoch,
    double? RolloutStartPercentage,
    long? RolloutDurationMinutes,
    double RolloutNow,
    bool IsBarrier,
    string? BarrierReason,
    bool IsDeadEnd,
    string? DeadEndReason,
    bool IsHalted,
    DateTimeOffset? HaltedAt,
    string? HaltReason,
    string? HaltedBy);

public sealed record StreamDetails(StreamRow Stream, IReadOnlyList<ReleaseRow> Releases);

public sealed record LockHolderRow(int GroupId, string GroupName, string NodeId, int Slot, DateTimeOffset AcquiredAt, Guid? DeviceId, string? Hostname);

public sealed record GroupRow(
    int Id,
    string Name,
    string? Description,
    string? StreamOverride,
    string Stream,
    PauseInfo Pause,
    string? PinnedVersion,
    int FleetLockSlots,
    MaintenanceWindow? Window,
    bool WindowOpen,
    int DeviceCount,
    IReadOnlyList<LockHolderRow> LockHolders,
    bool PasswordsAllowed = true)
{
    public bool IsDefault => Id == DeviceGroup.DefaultId;
}

/// <summary>
/// How the graph is computed for one device: the stream it is answered (and where that comes from),
/// the pause in force (and its level), the pin in force (and its level), and the node UUID Zincati sends.
/// </summary>
public sealed record DeviceUpdatePlan(
    Guid DeviceId,
    string Hostname,
    string? NodeUuid,
    int GroupId,
    string GroupName,
    string Stream,
    string StreamSource,
    string? StreamOverride,
    PauseInfo DevicePause,
    string? PausedBy,
    string? PauseReason,
    string? DevicePinnedVersion,
    string? PinnedVersion,
    string? PinSource);

public sealed record GroupCount(int GroupId, string GroupName, int Devices);

/// <param name="Succeeded">Devices that reported booting this release (their latest report about it, since its last resume).</param>
/// <param name="Failed">Devices that reported it failing or rolling back: what the rollout guard counts.</param>
/// <param name="Version">The release version.</param>
/// <param name="AgeIndex">Its position in the stream (older first).</param>
/// <param name="HasRollout">Whether updates.json gives it a rollout.</param>
/// <param name="RolloutNow">Share of devices offered it now (1 when it is not rolling out).</param>
/// <param name="IsHalted">Whether it is halted.</param>
/// <param name="Devices">Devices booted into it.</param>
public sealed record VersionCount(
    string Version, int AgeIndex, bool HasRollout, double RolloutNow, bool IsHalted, int Devices, int Succeeded = 0,
    int Failed = 0);

/// <summary>The rollout of a stream: who is assigned to it and, where devices report it, on which version they are.</summary>
/// <param name="ByStatus">Devices on the stream by update status from their deployment reports ("not reported" for devices that sent none).</param>
/// <param name="Stream">The stream.</param>
/// <param name="AssignedDevices">Devices assigned to the stream.</param>
/// <param name="ByGroup">Those devices by group.</param>
/// <param name="ByVersion">Those devices by booted version, for the stream's releases.</param>
/// <param name="OnOtherVersions">Devices booted into a version the stream does not have.</param>
public sealed record RolloutView(string Stream, int AssignedDevices, IReadOnlyList<GroupCount> ByGroup, IReadOnlyList<VersionCount> ByVersion, int OnOtherVersions, IReadOnlyDictionary<string, int>? ByStatus = null);
