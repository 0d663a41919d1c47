using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// One agent build the portal holds and serves at <c>/agent/{Version}/{Architecture}</c>: the file is
/// <c>agents/{Version}/{Architecture}/fleet-agent</c> in the data directory; the row is its identity, hash and the
/// portal's signature (<see cref="AgentSignature"/>), made when the build was added.
/// </summary>
public sealed class AgentBuild
{
    public int Id { get; set; }

    /// <summary>
    /// The agent version (<c>1.4.0</c>, <c>1.4.0-rc.1</c>); at most <see cref="Protocol.MaxAgentVersionLength"/>
    /// characters.
    /// </summary>
    public required string Version { get; set; }

    /// <summary><c>x86_64</c> or <c>aarch64</c> (<see cref="AgentSignature.Architectures"/>).</summary>
    public required string Architecture { get; set; }

    /// <summary>Size of the file, in bytes.</summary>
    public long Size { get; set; }

    /// <summary>SHA-512 of the file, 128 lower-case hex digits.</summary>
    public required string Sha512 { get; set; }

    /// <summary>The portal's Ed25519 signature of <see cref="AgentSignature.Statement"/>, base64.</summary>
    public required string Signature { get; set; }

    public DateTimeOffset AddedAt { get; set; }

    /// <summary>Who added it: a user name, or <c>data directory</c> for a build found there at start.</summary>
    public required string AddedBy { get; set; }
}

/// <summary>
/// The agent version a scope should run: the fleet default (<see cref="GroupId"/> null) or a group's override.
/// A device is offered <see cref="Version"/> when its rollout bucket is under <see cref="Percent"/> and the target is
/// not halted; a halted target offers nothing new until an Admin resumes it.
/// </summary>
public sealed class AgentTarget
{
    /// <summary>Key of the fleet default row.</summary>
    public const string FleetKey = "fleet";

    public int Id { get; set; }

    /// <summary><see cref="FleetKey"/> or <c>group:{GroupId}</c>: unique, so a scope has one target.</summary>
    public required string TargetKey { get; set; }

    /// <summary>The group this target overrides the fleet default for; null for the fleet default.</summary>
    public int? GroupId { get; set; }

    public required string Version { get; set; }

    /// <summary>
    /// The version the scope had before <see cref="Version"/> (kept when an Admin changes it): what a new machine
    /// outside the rollout, or of a halted one, installs at first boot; null when there was none.
    /// </summary>
    public string? PreviousVersion { get; set; }

    /// <summary>Share of the scope's devices offered <see cref="Version"/>, 0–100.</summary>
    public int Percent { get; set; } = 100;

    public DateTimeOffset ChangedAt { get; set; }

    public required string ChangedBy { get; set; }

    /// <summary>When failed updates to <see cref="Version"/> halted the rollout; null while it runs.</summary>
    public DateTimeOffset? HaltedAt { get; set; }

    /// <summary>Why it halted (how many devices failed, the last reason).</summary>
    public string? HaltReason { get; set; }

    /// <summary>
    /// Refused, failed and rolled-back reports of <see cref="Version"/> from the scope's devices since the version
    /// was set or the rollout last resumed: the rollout halts when it reaches the configured limit.
    /// </summary>
    public int Failures { get; set; }

    /// <summary>The key of a scope.</summary>
    public static string KeyOf(int? groupId) => groupId is { } id ? $"group:{id}" : FleetKey;
}

/// <summary>A device's agent self-update state: what it was last offered and what it last reported.</summary>
public sealed class DeviceAgentState
{
    public Guid DeviceId { get; set; }

    /// <summary>
    /// The version last offered (published on <see cref="Topics.AgentRelease"/>); null when none was.
    /// </summary>
    public string? OfferedVersion { get; set; }

    public DateTimeOffset? OfferedAt { get; set; }

    /// <summary>The version the last report was about.</summary>
    public string? ReportedVersion { get; set; }

    public AgentUpdateResult? LastResult { get; set; }

    /// <summary>The report's detail (the reason for a refusal, failure or roll-back).</summary>
    public string? LastDetail { get; set; }

    public DateTimeOffset? LastResultAt { get; set; }
}

/// <summary>How people read an <see cref="AgentUpdateResult"/>; the protocol keeps the enum names.</summary>
public static class AgentUpdateResultLabels
{
    public static string Label(this AgentUpdateResult result) => result switch
    {
        AgentUpdateResult.Installed => "Installed",
        AgentUpdateResult.Refused => "Refused",
        AgentUpdateResult.Failed => "Failed",
        _ => "Rolled back",
    };
}
