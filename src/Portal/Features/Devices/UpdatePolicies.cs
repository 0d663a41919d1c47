using System.Text.Json;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// The update policy a device gets when it comes online. Resolved from the ingest pipeline's scope, so
/// an implementation may use the scoped <see cref="Data.FleetDbContext"/> (it sees the batch's
/// uncommitted changes).
/// </summary>
public interface IUpdatePolicyProvider
{
    /// <param name="deviceId">An approved device that just came online.</param>
    /// <param name="cancellationToken">Stops waiting at shutdown.</param>
    /// <returns>The policy to send it.</returns>
    Task<UpdatePolicy> GetPolicyAsync(Guid deviceId, CancellationToken cancellationToken);
}

/// <summary>Until streams and groups exist: every device follows <c>stable</c> in group <c>default</c>, not paused, not pinned, at the portal's own URLs.</summary>
internal sealed class DefaultUpdatePolicyProvider(PortalPublicUrl urls) : IUpdatePolicyProvider
{
    public const string DefaultStream = "stable";

    public const string DefaultGroup = "default";

    public Task<UpdatePolicy> GetPolicyAsync(Guid deviceId, CancellationToken cancellationToken) =>
        Task.FromResult(ForPortal(urls.Get(), DefaultStream, DefaultGroup));

    /// <summary>A policy whose Cincinnati and FleetLock endpoints are this portal's.</summary>
    public static UpdatePolicy ForPortal(Uri baseUrl, string stream, string group, bool enabled = true, string? pinnedVersion = null, string? rollbackCommandId = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var root = baseUrl.ToString();
        return new UpdatePolicy(stream, enabled, root, root, group, pinnedVersion, rollbackCommandId);
    }
}

public static class UpdatePolicyPublishing
{
    /// <summary>Sends a changed policy to a device now (QoS 1); a device that is offline gets the current one when it next connects.</summary>
    public static Task PublishUpdatePolicyAsync(this IDevicePublisher publisher, Guid deviceId, UpdatePolicy policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        return publisher.PublishAsync(
            Topics.UpdatePolicy(deviceId.ToString("N")),
            JsonSerializer.SerializeToUtf8Bytes(policy, FleetJson.Default.UpdatePolicy),
            cancellationToken);
    }
}
