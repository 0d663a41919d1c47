using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// Section <c>Fleet:Agents</c>: the agent builds the portal holds, the Ignition layer that installs one, and their
/// rollout to devices.
/// </summary>
public sealed class AgentDeliveryOptions
{
    public const string Section = "Fleet:Agents";

    /// <summary>
    /// Refused, failed or rolled-back self-update reports of a target's version, from the devices of its scope, after
    /// which the portal halts that target's rollout (no more offers until an Admin resumes it).
    /// </summary>
    [Range(1, 100_000)]
    public int HaltAfterFailures { get; set; } = 2;

    /// <summary>
    /// Folder of builds shipped with the portal (<c>{version}/{architecture}/fleet-agent</c>), imported at start beside
    /// those in <c>agents</c> of the data directory; relative paths are under the content root. The container image
    /// and the release archive put their builds here.
    /// </summary>
    [Required]
    public string BundledDirectory { get; set; } = "agents";

    /// <summary>Largest build an Admin may upload, in MiB.</summary>
    [Range(1, 1024)]
    public int MaxUploadMegabytes { get; set; } = 64;

    /// <summary>
    /// Start every rendered Ignition config with the built-in layer that installs the agent (binary, units and
    /// <c>/etc/fleet-agent/agent.env</c>). Off, configs install no agent unless a config layer does.
    /// </summary>
    public bool IgnitionLayer { get; set; } = true;

    /// <summary>
    /// Broker host written into <c>agent.env</c> (<c>Agent__BrokerHost</c>); empty takes the host of the portal's
    /// public URL (<c>Fleet:Updates:PublicBaseUrl</c>).
    /// </summary>
    public string? BrokerHost { get; set; }

    /// <summary>
    /// Broker port written into <c>agent.env</c> (<c>Agent__BrokerPort</c>); empty takes the port the embedded broker
    /// listens on (<c>Fleet:Mqtt:Port</c>). Set it when devices reach the broker through a proxy or NAT.
    /// </summary>
    [Range(1, 65535)]
    public int? BrokerPort { get; set; }
}
