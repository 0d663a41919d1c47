using System.ComponentModel.DataAnnotations;

namespace Fleet.DeviceAgent.AgentUpdates;

/// <summary>Section <c>Agent:SelfUpdate</c>: the agent replacing itself with the build the portal offers.</summary>
public sealed class SelfUpdateOptions
{
    public const string SectionName = "Agent:SelfUpdate";

    /// <summary>
    /// Whether the agent installs the agent builds the portal offers (checked against their SHA-512 and the portal's
    /// signature). False: it ignores them and keeps the build it runs.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The agent binary that is replaced; the previous build is kept beside it as <c>.previous</c> and a download as
    /// <c>.new</c>, so its folder must be writable. Unset: the running program itself
    /// (<c>/usr/local/bin/fleet-agent</c> on a device).
    /// </summary>
    public string? BinaryPath { get; set; }

    /// <summary>
    /// Seconds a new build has to come online after the swap; if it has not by then, a timer started with
    /// <c>systemd-run</c> puts the previous build back and restarts the agent, which reports the roll-back.
    /// </summary>
    [Range(30, 86_400)]
    public int ComeOnlineSeconds { get; set; } = 300;

    /// <summary>Seconds a download may take before it is given up (and resumed on the next attempt).</summary>
    [Range(10, 86_400)]
    public int DownloadTimeoutSeconds { get; set; } = 900;

    /// <summary>The largest build the agent downloads, in MiB; a larger one is refused.</summary>
    [Range(1, 4_096)]
    public int MaxDownloadMegabytes { get; set; } = 256;
}
