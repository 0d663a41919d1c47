namespace Fleet.Portal.Features.Health;

/// <summary>
/// One accepted health report, reduced to the numbers charts and alerts use. The key is what the
/// agent sends again on a QoS 1 re-delivery (device, sequence, agent clock), so a report stored
/// before a crash and re-sent after it is stored once.
/// </summary>
public sealed class HealthSample
{
    public Guid DeviceId { get; set; }

    public long Sequence { get; set; }

    /// <summary>The agent's own timestamp, kept as sent: part of the identity, not trusted for charts.</summary>
    public DateTimeOffset SentAt { get; set; }

    /// <summary>When the sample is charted: <see cref="SentAt"/> if within the skew window, else when it arrived.</summary>
    public DateTimeOffset At { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public double? CpuPercent { get; set; }

    public double? MemoryPercent { get; set; }

    public double? SwapPercent { get; set; }

    /// <summary>The fullest filesystem.</summary>
    public double? DiskPercent { get; set; }

    /// <summary>The hottest sensor.</summary>
    public double? TemperatureCelsius { get; set; }

    public double? Load1 { get; set; }

    public double? UptimeSeconds { get; set; }

    public int? FailedUnits { get; set; }
}

/// <summary>Five minutes of one device's samples, kept after the raw samples are pruned.</summary>
public sealed class HealthAggregate
{
    public Guid DeviceId { get; set; }

    public DateTimeOffset BucketStart { get; set; }

    public int Samples { get; set; }

    public double? CpuMin { get; set; }

    public double? CpuAvg { get; set; }

    public double? CpuMax { get; set; }

    public double? MemoryMin { get; set; }

    public double? MemoryAvg { get; set; }

    public double? MemoryMax { get; set; }

    public double? DiskMin { get; set; }

    public double? DiskAvg { get; set; }

    public double? DiskMax { get; set; }

    public double? TemperatureMin { get; set; }

    public double? TemperatureAvg { get; set; }

    public double? TemperatureMax { get; set; }
}

/// <summary>The latest accepted report of one device: what the card, the dashboard and the alert rules read.</summary>
public sealed class DeviceHealth
{
    public Guid DeviceId { get; set; }

    public long Sequence { get; set; }

    public DateTimeOffset At { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }

    public double? CpuPercent { get; set; }

    public double? MemoryPercent { get; set; }

    public double? SwapPercent { get; set; }

    public double? DiskPercent { get; set; }

    public string? FullestMount { get; set; }

    public double? TemperatureCelsius { get; set; }

    public double? Load1 { get; set; }

    public double? UptimeSeconds { get; set; }

    public int? FailedUnits { get; set; }

    /// <summary>The validated report as JSON (filesystems, interfaces, units…) for the device page.</summary>
    public required string ReportJson { get; set; }

    /// <summary>The worst of CPU, memory and disk use: how the dashboard ranks devices.</summary>
    public double? Worst { get; set; }
}
