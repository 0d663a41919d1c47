using Fleet.DeviceAgent.State;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Credential rotation: a new secret from the portal (with a renewed certificate for the device's key, when it has one)
/// is saved, then the device goes offline and reconnects at once with it (that connection is what makes it the only
/// one). The portal renews a certificate in the last third of its life.
/// </summary>
/// <param name="store">Where the rotated secret is saved before it is used.</param>
/// <param name="logger">Where rotations are logged.</param>
public sealed class CredentialRotationModule(IStateStore store, ILogger logger) : IDeviceModule
{
    private string? _topic;

    public void AddTopics(string deviceId, ICollection<ModuleTopic> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        _topic = Topics.Credential(deviceId);
        topics.Add(new(_topic, "credential rotation will not reach this device"));
    }

    /// <summary>
    /// Saves a rotated secret and ends this connection so the next one uses it; ignores an unusable message.
    /// </summary>
    public async ValueTask<bool> OnMessageAsync(
        DeviceSession session, string topic, byte[] payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (topic != _topic)
        {
            return false;
        }

        if (!MessageJson.TryDeserialize(payload, FleetJson.Default.CredentialRotation, out var rotation)
            || string.IsNullOrEmpty(rotation.Secret) || rotation.Secret.Length > Protocol.MaxFieldLength)
        {
            logger.LogWarning("Ignoring an unreadable credential rotation on {Topic}", topic);
            return false;
        }

        // Saved first: if the agent dies now, it restarts with the new secret, which the portal accepts.
        var certificate = rotation.Certificate is { } renewed
            && DeviceCertificate.Certifies(renewed, session.State.ClientKey)
            ? renewed
            : session.State.ClientCertificate;
        var rotated = session.State with { Secret = rotation.Secret, ClientCertificate = certificate };
        await store.SaveAsync(rotated, cancellationToken);
        session.ReconnectWith(rotated);
        logger.LogInformation(
            "Credential rotation {RotationId} received; device {DeviceId} reconnects with the new secret",
            rotation.RotationId,
            session.DeviceId);
        await session.GoOfflineAsync();
        return true;
    }
}
