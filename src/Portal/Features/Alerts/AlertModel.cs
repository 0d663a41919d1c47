namespace Fleet.Portal.Features.Alerts;

/// <summary>What a rule watches; <see cref="AlertRule.Threshold"/> means minutes, percent or °C accordingly.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<AlertKind>))]
public enum AlertKind
{
    /// <summary>Offline longer than Threshold minutes.</summary>
    Offline,

    /// <summary>Fullest filesystem above Threshold %.</summary>
    DiskAbove,

    /// <summary>Hottest sensor above Threshold °C.</summary>
    TemperatureAbove,

    /// <summary>Memory in use above Threshold %.</summary>
    MemoryAbove,

    /// <summary>Any failed systemd unit.</summary>
    FailedUnits,

    /// <summary>Connected for Threshold minutes without a health report since (agent up, reporting broken).</summary>
    NoReportSinceConnect,

    /// <summary>A config assigned to the device cannot render for it (raised and resolved by configs).</summary>
    ConfigCannotRender,
}

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<AlertSeverity>))]
public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

/// <summary>A condition watched on every device of the fleet or of one group.</summary>
public sealed class AlertRule
{
    public const int MaxNameLength = 128;

    public int Id { get; set; }

    public required string Name { get; set; }

    public AlertKind Kind { get; set; }

    public double Threshold { get; set; }

    public AlertSeverity Severity { get; set; }

    /// <summary>Null: the whole fleet.</summary>
    public int? GroupId { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>When the condition last changed (created, edited): hold-down counts alerts resolved after.</summary>
    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>Until then the rule's alerts are recorded but notify nobody.</summary>
    public DateTimeOffset? SnoozedUntil { get; set; }

    /// <summary>Daily window (UTC) in which alerts are recorded but notify nobody; may wrap midnight.</summary>
    public TimeOnly? SilenceFrom { get; set; }

    /// <summary>End of <see cref="SilenceFrom"/>'s window (exclusive).</summary>
    public TimeOnly? SilenceTo { get; set; }

    /// <summary>The <see cref="NotificationChannel"/>s told when an alert of this rule fires or resolves.</summary>
    public List<int> ChannelIds { get; set; } = [];
}

/// <summary>
/// One firing of a rule on a device. At most one per rule and device is open (unresolved): a rule
/// fires once and stays quiet until the condition clears, which is what suppresses flapping.
/// </summary>
public sealed class AlertInstance
{
    public long Id { get; set; }

    public int RuleId { get; set; }

    public Guid DeviceId { get; set; }

    public AlertSeverity Severity { get; set; }

    public required string Message { get; set; }

    public double? Value { get; set; }

    public DateTimeOffset FiredAt { get; set; }

    public DateTimeOffset? AcknowledgedAt { get; set; }

    public string? AcknowledgedBy { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    /// <summary>Who resolved it; null when it cleared by itself.</summary>
    public string? ResolvedBy { get; set; }

    /// <summary>Open means unresolved; a plain column so the "one open per rule and device" index can filter on it.</summary>
    public bool IsOpen { get; set; } = true;
}
