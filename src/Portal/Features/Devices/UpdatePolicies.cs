using System.Text.Json;
using Fleet.Portal.Messaging;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// The update policy a device gets when it comes online. Resolved from the ingest pipeline's scope, so
/// an implementation may use the scoped <see cref="Data.FleetDbContext"/> (it sees the batch's
/// uncommitted changes). Implemented by release management (Features/Updates); an interface so ingest
/// tests can hand devices a policy of their own.
/// </summary>
public interface IUpdatePolicyProvider
{
    /// <param name="deviceId">An approved device that just came online.</param>
    /// <param name="cancellationToken">Stops waiting at shutdown.</param>
    /// <returns>The policy to send it.</returns>
    Task<UpdatePolicy> GetPolicyAsync(Guid deviceId, CancellationToken cancellationToken);
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
