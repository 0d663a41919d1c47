namespace Fleet.Portal.Messaging;

/// <summary>Sends a message from the portal to a device topic (QoS 1).</summary>
public interface IDevicePublisher
{
    Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken);

    /// <summary>Sends a message the broker keeps (retained) and hands to the device whenever it subscribes: state, not events.</summary>
    Task PublishRetainedAsync(string topic, byte[] payload, CancellationToken cancellationToken) => PublishAsync(topic, payload, cancellationToken);
}
