namespace Fleet.Portal.Messaging;

/// <summary>Sends a message from the portal to a device topic (QoS 1).</summary>
public interface IDevicePublisher
{
    Task PublishAsync(string topic, byte[] payload, CancellationToken cancellationToken);
}
