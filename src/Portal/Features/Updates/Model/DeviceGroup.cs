namespace Fleet.Portal.Features.Updates;

/// <summary>
/// A set of devices that update alike: one stream, one pause, one pinned version, one reboot
/// semaphore (FleetLock slots) and one maintenance window. Its name is what Zincati sends as
/// <c>group</c> (<c>[identity] group</c>) to both the graph and FleetLock. Devices without a group
/// belong to the seeded <see cref="DefaultName"/> group.
/// </summary>
public sealed class DeviceGroup : IPausable
{
    public const string DefaultName = "default";
    public const int DefaultId = 1;
    public const int MaxNameLength = 64;

    public int Id { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    /// <summary>The stream its devices follow, unless a device overrides it; null: the fleet default.</summary>
    public string? StreamOverride { get; set; }

    public DateTimeOffset? PausedAt { get; set; }

    public DateTimeOffset? PausedUntil { get; set; }

    public string? PauseReason { get; set; }

    public string? PausedBy { get; set; }

    /// <summary>Only this version is offered (a device's own pin wins).</summary>
    public string? PinnedVersion { get; set; }

    /// <summary>How many of its devices may reboot for an update at once.</summary>
    public int FleetLockSlots { get; set; } = 1;

    /// <summary>Days the maintenance window opens; <see cref="WeekDays.None"/> for no window (reboot any time).</summary>
    public WeekDays MaintenanceDays { get; set; }

    public TimeOnly? MaintenanceStartUtc { get; set; }

    public int? MaintenanceDurationMinutes { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Operators may run the Admin-only commands (power off, diagnostics) on its devices.</summary>
    public bool OperatorsRunPrivilegedCommands { get; set; }

    /// <summary>An Admin may open a browser terminal on its devices (off unless turned on).</summary>
    public bool TerminalEnabled { get; set; }

    /// <summary>Seconds between health reports of its devices (sent in DeviceSettings); null: the fleet default.</summary>
    public int? HealthIntervalSeconds { get; set; }

    /// <summary>
    /// Whether its devices may connect to the broker with their password. False: only with their client certificate
    /// (over TLS), for a group whose agents all have one.
    /// </summary>
    public bool PasswordsAllowed { get; set; } = true;

    public MaintenanceWindow? Window =>
        MaintenanceDays != WeekDays.None && MaintenanceStartUtc is { } start && MaintenanceDurationMinutes is { } minutes
            ? new MaintenanceWindow(MaintenanceDays, start, minutes)
            : null;
}
