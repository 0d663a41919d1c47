using System.ComponentModel.DataAnnotations;

namespace Fleet.DeviceAgent.Updates;

/// <summary>Section <c>Agent:Updates</c>: OS update management on the device.</summary>
public sealed class UpdateAgentOptions
{
    public const string SectionName = "Agent:Updates";

    /// <summary>
    /// Whether the agent manages OS updates: writes Zincati's drop-in, or (without Zincati) checks for,
    /// deploys and reboots into releases, and runs rollback commands. False: it only reports deployments.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Minutes between update checks on hosts without Zincati (Zincati's default is 5), and between reboot-lock attempts.</summary>
    [Range(1, 1_440)]
    public int CheckIntervalMinutes { get; set; } = 5;

    /// <summary>Minutes between deployment reports when nothing changes.</summary>
    [Range(1, 1_440)]
    public int ReportIntervalMinutes { get; set; } = 15;
}
