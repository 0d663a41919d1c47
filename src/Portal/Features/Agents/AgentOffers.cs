using Fleet.Portal.Features.Updates;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Agents;

/// <summary>What a device is offered as a self-update, and why (or why nothing).</summary>
/// <param name="Target">The target that applies to the device (its group's, else the fleet's); null for none.</param>
/// <param name="Build">The build to offer, of the device's architecture; null when nothing is offered.</param>
/// <param name="Why">For a person: what is offered, or why nothing is.</param>
public sealed record AgentOffer(AgentTarget? Target, AgentBuild? Build, string Why);

/// <summary>
/// <see cref="AgentRollout"/> applied to a device record: the build of its architecture when it is in the rollout of
/// its scope's target and does not run that version already. The pusher publishes it; pages show it.
/// </summary>
public static class AgentOffers
{
    /// <summary>The offer to a device.</summary>
    /// <param name="deviceId">The device (its rollout bucket).</param>
    /// <param name="groupId">Its group; null for the default group.</param>
    /// <param name="architecture">Its architecture as it reported it (<c>x86_64</c>, <c>aarch64</c>).</param>
    /// <param name="running">The agent version it runs.</param>
    /// <param name="targets">Every target.</param>
    /// <param name="builds">Every build (only version and architecture are compared).</param>
    public static AgentOffer For(
        Guid deviceId,
        int? groupId,
        string? architecture,
        string? running,
        IReadOnlyCollection<AgentTarget> targets,
        IReadOnlyCollection<AgentBuild> builds)
    {
        var target = AgentRollout.TargetFor(groupId, targets);
        if (target is null)
        {
            return new(null, null, "no agent version is set for the fleet or its group");
        }

        var version = target.Version;
        if (target.HaltedAt is not null)
        {
            return new(target, null, $"the rollout of {version} is halted: {target.HaltReason}");
        }

        if (AgentRollout.OfferFor(deviceId, target) is null)
        {
            return new(target, null,
                $"not among the first {target.Percent} % of devices the rollout of {version} reaches");
        }

        if (string.Equals(running, version, StringComparison.Ordinal))
        {
            return new(target, null, $"runs {version}, the desired version");
        }

        var build = builds.FirstOrDefault(b => b.Version == version && b.Architecture == architecture);
        var arch = string.IsNullOrEmpty(architecture) ? "(unknown architecture)" : architecture;
        return build is null
            ? new(target, null, $"the portal has no {arch} build of {version}")
            : new(target, build, $"offered {version}");
    }

    /// <summary>The release message for a build, its URL under the portal's public URL.</summary>
    public static AgentRelease Release(AgentBuild build, Uri portal)
    {
        ArgumentNullException.ThrowIfNull(build);
        var path = $"agent/{Uri.EscapeDataString(build.Version)}/{Uri.EscapeDataString(build.Architecture)}";
        var url = new Uri(portal, path);
        return new AgentRelease(build.Version, build.Architecture, url.ToString(), build.Sha512, build.Signature);
    }

    /// <summary>Whether a report says the offered build did not end up running.</summary>
    public static bool IsFailure(AgentUpdateResult? result) =>
        result is AgentUpdateResult.Refused or AgentUpdateResult.Failed or AgentUpdateResult.RolledBack;
}
