using System.Security.Cryptography;
using Fleet.Portal.Features.Updates;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// Which agent version a device should run, the one rule for both the first install (the built-in Ignition layer)
/// and self-updates (the release pushed to the device). The scope's target is its group's override, else the fleet
/// default. A device is in the rollout when its bucket (stable per device, 0–99) is under the target's percentage.
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
}
