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
}
