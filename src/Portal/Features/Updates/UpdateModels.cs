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
public sealed record GroupInput(
    string Name,
    string? Description,
    string? StreamOverride,
    int FleetLockSlots,
    WeekDays MaintenanceDays = WeekDays.None,
    TimeOnly? MaintenanceStartUtc = null,
    int? MaintenanceDurationMinutes = null);

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
    IReadOnlyList<LockHolderRow> LockHolders)
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
public sealed record VersionCount(string Version, int AgeIndex, double RolloutNow, bool IsHalted, int Devices, int Succeeded = 0, int Failed = 0);

/// <summary>The rollout of a stream: who is assigned to it and, where devices report it, on which version they are.</summary>
/// <param name="ByStatus">Devices on the stream by update status from their deployment reports ("not reported" for devices that sent none).</param>
public sealed record RolloutView(string Stream, int AssignedDevices, IReadOnlyList<GroupCount> ByGroup, IReadOnlyList<VersionCount> ByVersion, int OnOtherVersions, IReadOnlyDictionary<string, int>? ByStatus = null);
