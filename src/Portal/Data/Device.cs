namespace Fleet.Portal.Data;

/// <summary>A device the portal has heard from: pending, approved or rejected.</summary>
public sealed partial class Device
{
    public Guid Id { get; set; }

    /// <summary>The MQTT client id the agent enrolled with; a re-sent request with it is the same enrolment.</summary>
    public required string EnrollmentId { get; set; }

    public EnrollmentState State { get; set; }

    public required string MachineId { get; set; }

    public required string Hostname { get; set; }

    public required string Architecture { get; set; }

    public required string Kernel { get; set; }

    /// <summary>PRETTY_NAME, or ID + VERSION_ID, from os-release.</summary>
    public required string OsName { get; set; }

    /// <summary>The whole os-release as JSON, for the detail page.</summary>
    public required string OsReleaseJson { get; set; }

    public required string PrimaryMac { get; set; }

    public required string AgentVersion { get; set; }

    /// <summary>Hardware serial number, where the device reported one.</summary>
    public string? SerialNumber { get; set; }

    /// <summary>IP address the device last connected from (as the broker saw it).</summary>
    public string? LastAddress { get; set; }

    /// <summary>Set when what the device presented collides with another device (same MAC, other machine-id).</summary>
    public string? Conflict { get; set; }

    /// <summary>SHA-256 of the device's MQTT secret; null until approved. The secret itself is never stored.</summary>
    public byte[]? CredentialHash { get; set; }

    public DateTimeOffset? CredentialIssuedAt { get; set; }

    public DateTimeOffset FirstSeenAt { get; set; }

    public DateTimeOffset LastRequestAt { get; set; }

    public DateTimeOffset? DecidedAt { get; set; }

    public string? DecidedBy { get; set; }

    public bool IsOnline { get; set; }

    public DateTimeOffset? LastSeenAt { get; set; }

    public double? UptimeSeconds { get; set; }

    public double? Load1 { get; set; }

    public double? Load5 { get; set; }

    public double? Load15 { get; set; }

    public List<DeviceMac> Macs { get; set; } = [];

    // OS updates, from the device's DeploymentReports; mapped in DeviceUpdateConfiguration.

    /// <summary>Version of the booted OS deployment (<c>42.20250901.3.0</c>).</summary>
    public string? BootedVersion { get; set; }

    /// <summary>Base OSTree commit of the booted deployment (64 hex digits).</summary>
    public string? BootedChecksum { get; set; }

    /// <summary>Version staged for the next boot, if any.</summary>
    public string? StagedVersion { get; set; }

    /// <summary>Where the device is in updating; null until its first report.</summary>
    public DeviceUpdateStatus? UpdateStatus { get; set; }

    /// <summary>Greenboot's verdict on the current boot; null until the first report.</summary>
    public Shared.Messages.GreenbootStatus? Greenboot { get; set; }

    /// <summary>When the portal last learnt that the device went back to an older deployment.</summary>
    public DateTimeOffset? LastRollbackAt { get; set; }

    /// <summary>Zincati, the Fleet agent, or nobody; null until the first report.</summary>
    public Shared.Messages.UpdateAgentKind? UpdateAgent { get; set; }

    /// <summary>
    /// The node id the device uses with Cincinnati and FleetLock (32 lower-case hex digits,
    /// <see cref="Shared.NodeUuid"/>), so those requests can be matched to it with one indexed lookup: computed
    /// from <see cref="MachineId"/> whenever that is saved (<see cref="NodeUuidStamp"/>), and as
    /// the device reports it.
    /// </summary>
    public string? NodeUuid { get; set; }

    /// <summary>The last rollback command id the device acknowledged.</summary>
    public string? RollbackCommandAck { get; set; }

    /// <summary>Id of the last update event recorded; a re-sent event with this id is not recorded twice.</summary>
    public string? LastUpdateEventId { get; set; }

    /// <summary>When the last deployment report arrived (portal clock).</summary>
    public DateTimeOffset? DeploymentsReportedAt { get; set; }
}

/// <summary>Where a device is in updating its OS, as its reports tell.</summary>
public enum DeviceUpdateStatus
{
    /// <summary>Nothing in progress.</summary>
    Idle = 0,

    /// <summary>Downloading and deploying a release.</summary>
    Updating = 1,

    /// <summary>A new deployment waits for the next boot (for the reboot lock).</summary>
    Staged = 2,

    /// <summary>Rebooting into the new deployment.</summary>
    Rebooting = 3,

    /// <summary>The last update succeeded.</summary>
    Updated = 4,

    /// <summary>The last update failed.</summary>
    Failed = 5,

    /// <summary>The device went back to an older deployment.</summary>
    RolledBack = 6,
}

/// <summary>The status a person sees: enrolment state for undecided devices, connectivity for approved ones.</summary>
public static class DeviceStatusText
{
    public static string Of(EnrollmentState state, bool isOnline) => state switch
    {
        EnrollmentState.Pending => "Pending",
        EnrollmentState.Rejected => "Rejected",
        EnrollmentState.Decommissioned => "Decommissioned",
        _ => isOnline ? "Online" : "Offline",
    };

    public static string Of(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return Of(device.State, device.IsOnline);
    }
}

/// <summary>Where a device stands in enrolment.</summary>
public enum EnrollmentState
{
    Pending = 0,
    Approved = 1,
    Rejected = 2,

    /// <summary>Forgotten: the credential is dead, the record stays for audit, the device may enrol again as new.</summary>
    Decommissioned = 3,
}

/// <summary>One MAC address a device presented. A device with several NICs has several rows.</summary>
public sealed class DeviceMac
{
    public long Id { get; set; }

    public Guid DeviceId { get; set; }

    public required string Mac { get; set; }

    public required string InterfaceName { get; set; }

    public bool IsPrimary { get; set; }
}

/// <summary>One heartbeat as received.</summary>
public sealed class HeartbeatRecord
{
    public long Id { get; set; }

    public Guid DeviceId { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public DateTimeOffset SentAt { get; set; }

    public long Sequence { get; set; }

    public double UptimeSeconds { get; set; }

    public double Load1 { get; set; }

    public double Load5 { get; set; }

    public double Load15 { get; set; }
}

/// <summary>Something that happened to a device (enrolled, approved, online, offline…), for its timeline.</summary>
public sealed class DeviceEvent
{
    public long Id { get; set; }

    public Guid DeviceId { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Kind { get; set; }

    public required string Message { get; set; }

    /// <summary>The device's own id for the event it reported (update events), so a re-sent event is recorded once.</summary>
    public string? SourceId { get; set; }
}
