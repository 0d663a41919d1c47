using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Health;

/// <summary>Section <c>Fleet:Health</c>: health report intake, retention and alert evaluation.</summary>
public sealed class HealthOptions
{
    public const string Section = "Fleet:Health";

    /// <summary>Seconds between health reports for devices whose group sets none; null keeps the agent's default.</summary>
    [Range(5, 86_400)]
    public int? DefaultIntervalSeconds { get; set; } = 60;

    /// <summary>
    /// A report's own timestamp is charted only if it is at most this many seconds after its arrival.
    /// </summary>
    [Range(1, 86_400)]
    public int MaxClockSkewSeconds { get; set; } = 300;

    /// <summary>
    /// How many hours before its arrival a report's own timestamp is still charted: reports an agent queued while the
    /// portal was unreachable arrive late. Matches the agent's default outbox age limit (7 days).
    /// </summary>
    [Range(1, 24 * 365)]
    public int MaxBackfillHours { get; set; } = 24 * 7;

    /// <summary>Reports one device may send per minute on average; more are refused at the broker (PUBACK 0x97).</summary>
    [Range(1, 60_000)]
    public int MaxReportsPerMinute { get; set; } = 60;

    /// <summary>Reports one device may send back to back before the per-minute rate applies (reconnect bursts).</summary>
    [Range(1, 10_000)]
    public int ReportBurst { get; set; } = 20;

    /// <summary>Hours raw samples are kept before they are folded into 5-minute aggregates.</summary>
    [Range(1, 24 * 365)]
    public int RawRetentionHours { get; set; } = 48;

    /// <summary>Days 5-minute aggregates are kept.</summary>
    [Range(1, 3650)]
    public int AggregateRetentionDays { get; set; } = 90;

    /// <summary>Days heartbeat rows are kept.</summary>
    [Range(1, 3650)]
    public int HeartbeatRetentionDays { get; set; } = 7;

    /// <summary>Minutes between retention runs.</summary>
    [Range(1, 1440)]
    public int RetentionIntervalMinutes { get; set; } = 15;

    /// <summary>Seconds between evaluations of the time-based alert rules (offline, silent since connect).</summary>
    [Range(1, 3600)]
    public int AlertSweepSeconds { get; set; } = 15;
}
