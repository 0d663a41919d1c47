namespace Fleet.Shared.Messages;

/// <summary>
/// Portal → agent on <see cref="Topics.Credential"/>: a new device secret. The agent saves it, then
/// reconnects with it; the portal makes it the device's only credential when that connection arrives
/// (the old secret dies then). Until then both work, so a lost message costs nothing.
/// </summary>
/// <param name="RotationId">Identifies this rotation, for the logs of both sides.</param>
/// <param name="Secret">The new MQTT password. The portal keeps only its hash.</param>
/// <param name="IssuedAt">When the portal issued it (portal clock).</param>
/// <param name="Certificate">
/// A renewed client certificate (PEM) for the device's key, when the device has one: the device uses it from its next
/// connection on, like the secret.
/// </param>
/// <param name="CaCertificates">With <paramref name="Certificate"/>: the portal CA chain (PEM).</param>
public sealed record CredentialRotation(
    string RotationId,
    string Secret,
    DateTimeOffset IssuedAt,
    string? Certificate = null,
    string? CaCertificates = null);
