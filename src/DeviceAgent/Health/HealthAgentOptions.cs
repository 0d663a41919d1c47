using System.ComponentModel.DataAnnotations;

namespace Fleet.DeviceAgent.Health;

/// <summary>Section <c>Agent:Health</c>: health reports from the device.</summary>
public sealed class HealthAgentOptions
{
    public const string SectionName = "Agent:Health";

    /// <summary>Whether the agent sends health reports at all.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long one collector (a file, a tool) may take before the report goes without it.</summary>
    [Range(1, 300)]
    public int CollectorTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Most reports the outbox (store-and-forward) keeps unsent; over it the oldest is dropped and counted.
    /// </summary>
    [Range(1, 1_000_000)]
    public int OutboxMaxReports { get; set; } = 10_000;

    /// <summary>
    /// Most mebibytes of reports the outbox keeps unsent; over it the oldest are dropped and counted.
    /// </summary>
    [Range(1, 4_096)]
    public int OutboxMaxMegabytes { get; set; } = 16;

    /// <summary>Hours a report may wait in the outbox; an older one is dropped and counted.</summary>
    [Range(1, 24 * 365)]
    public int OutboxMaxAgeHours { get; set; } = 24 * 7;
}
