using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Agents;

/// <summary>Section <c>Fleet:Agents</c>: agent builds and their rollout to devices.</summary>
public sealed class AgentDeliveryOptions
{
    public const string Section = "Fleet:Agents";

    /// <summary>
    /// Refused, failed or rolled-back self-update reports of a target's version, from the devices of its scope, after
    /// which the portal halts that target's rollout (no more offers until an Admin resumes it).
    /// </summary>
    [Range(1, 100_000)]
    public int HaltAfterFailures { get; set; } = 2;
}
