using System.Security.Cryptography;
using Fleet.Portal.Features.Updates;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Agents;

/// <summary>What a device is offered as a self-update, and why (or why nothing).</summary>
/// <param name="Target">The target that applies to the device (its group's, else the fleet's); null for none.</param>
/// <param name="Build">The build to offer, of the device's architecture; null when nothing is offered.</param>
/// <param name="Why">For a person: what is offered, or why nothing is.</param>
public sealed record AgentOffer(AgentTarget? Target, AgentBuild? Build, string Why);

/// <summary>
/// Which agent version a device should run, the one rule for both the first install (the built-in Ignition layer)
/// and self-updates (the release pushed to the device). The scope's target is its group's override, else the fleet
/// default. A device is in the rollout when its bucket (stable per device, 0–99) is under the target's percentage.
/// <see cref="OfferTo"/> applies it to a device record with the reason a person reads; the pusher publishes it and
/// pages show it.
/// </summary>
public static class AgentRollout
{
    /// <summary>The device's rollout bucket, 0–99: the same for every rollout, so the first percent are the canaries.
    /// </summary>
    public static int BucketOf(Guid deviceId)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(deviceId.ToByteArray(), hash);
        return (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(hash) % 100);
    }

    /// <summary>
    /// The target that applies to a device of <paramref name="groupId"/>: the group's, else the fleet's. A device
    /// without a group is in the default group, so an override of that group applies to it.
    /// </summary>
    public static AgentTarget? TargetFor(int? groupId, IEnumerable<AgentTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var scope = groupId ?? DeviceGroup.DefaultId;
        var list = targets as IReadOnlyCollection<AgentTarget> ?? [.. targets];
        return list.FirstOrDefault(t => t.GroupId == scope)
            ?? list.FirstOrDefault(t => t.GroupId is null);
    }

    /// <summary>
    /// The version to offer a running device as a self-update: the target's version when the device is in the rollout
    /// and the target is not halted; null otherwise (the device keeps what it runs).
    /// </summary>
    public static string? OfferFor(Guid deviceId, AgentTarget? target) =>
        target is { HaltedAt: null } && BucketOf(deviceId) < target.Percent ? target.Version : null;

    /// <summary>
    /// The version a new machine installs at first boot: the offer when there is one, else the version the scope ran
    /// before the target changed, else the target's version; null when the scope has no target.
    /// </summary>
    public static string? InstallFor(Guid deviceId, AgentTarget? target) =>
        OfferFor(deviceId, target) ?? target?.PreviousVersion ?? target?.Version;

    /// <summary>The offer to a device.</summary>
    /// <param name="deviceId">The device (its rollout bucket).</param>
    /// <param name="groupId">Its group; null for the default group.</param>
    /// <param name="architecture">Its architecture as it reported it (<c>x86_64</c>, <c>aarch64</c>).</param>
    /// <param name="running">The agent version it runs.</param>
    /// <param name="targets">Every target.</param>
    /// <param name="builds">Every build (only version and architecture are compared).</param>
    public static AgentOffer OfferTo(
        Guid deviceId,
        int? groupId,
        string? architecture,
        string? running,
        IReadOnlyCollection<AgentTarget> targets,
        IReadOnlyCollection<AgentBuild> builds)
    {
        var target = TargetFor(groupId, targets);
        if (target is null)
        {
            return new(null, null, "no agent version is set for the fleet or its group");
        }

        var version = target.Version;
        if (target.HaltedAt is not null)
        {
            return new(target, null, $"the rollout of {version} is halted: {target.HaltReason}");
        }

        if (OfferFor(deviceId, target) is null)
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
