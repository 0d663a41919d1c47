using System.ComponentModel.DataAnnotations;

namespace Fleet.DeviceAgent.Config;

/// <summary>Section <c>Agent:Config</c>: live apply of the portal's Ignition config.</summary>
public sealed class ConfigAgentOptions
{
    public const string SectionName = "Agent:Config";

    /// <summary>Whether the agent subscribes to its desired config and applies it.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Minutes between drift checks of the config last applied.</summary>
    [Range(1, 10_080)]
    public int DriftCheckMinutes { get; set; } = 15;

    /// <summary>False: a drift check only reports what differs. True: it applies the config again.</summary>
    public bool ReapplyOnDrift { get; set; }
}
