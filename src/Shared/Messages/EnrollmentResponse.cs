namespace Fleet.Shared.Messages;

/// <summary>
/// Portal → agent on <see cref="Topics.EnrollmentResponse"/>: the decision on an enrolment request.
/// Only an <see cref="EnrollmentDecision.Approved"/> response carries a credential.
/// </summary>
/// <param name="Decision">Pending, Approved or Rejected.</param>
/// <param name="DeviceId">The device id (also the MQTT user name and client id) once approved.</param>
/// <param name="Secret">The device's own MQTT password once approved. The portal keeps only its hash.</param>
/// <param name="Reason">Why the request is pending or rejected, for the agent's log.</param>
/// <param name="RetryAfterSeconds">When a pending agent should ask again.</param>
/// <param name="TpmChallenge">For a device that presented a TPM: the challenge its next request must answer in <see cref="EnrollmentRequest.TpmActivation"/>.</param>
/// <param name="ClaimCode">
/// A Pending answer to an unknown device: the code a person types on the portal's Claim page to approve
/// it (<c>XXXX-XXXX-XX</c>, 10 characters of a 31-character alphabet). Sent once; the agent keeps it until
/// <paramref name="ClaimCodeExpiresAt"/> and shows it on the console banner.
/// </param>
/// <param name="ClaimUrl">The portal's Claim page, with the code filled in (for the QR code).</param>
/// <param name="ClaimCodeExpiresAt">When <paramref name="ClaimCode"/> stops working (portal clock).</param>
/// <param name="AgentSigningKey">
/// With an Approved answer: the portal's Ed25519 public key (32 bytes, base64) that signs agent builds
/// (<see cref="AgentSignature"/>). The agent keeps it with its credential and installs only builds it verifies.
/// </param>
/// <param name="Certificate">
/// With an Approved answer to a request that carried a <see cref="EnrollmentRequest.CertificateRequest"/>: the
/// device's client certificate (PEM), subject <c>CN=</c> the device id, issued by the portal CA. With it the device
/// connects to the MQTTS port without a password.
/// </param>
/// <param name="CaCertificates">
/// With <paramref name="Certificate"/>: the portal CA chain (PEM), issuing CA first.
/// </param>
public sealed record EnrollmentResponse(
    EnrollmentDecision Decision,
    string? DeviceId = null,
    string? Secret = null,
    string? Reason = null,
    int RetryAfterSeconds = 0,
    TpmChallenge? TpmChallenge = null,
    string? ClaimCode = null,
    string? ClaimUrl = null,
    DateTimeOffset? ClaimCodeExpiresAt = null,
    string? AgentSigningKey = null,
    string? Certificate = null,
    string? CaCertificates = null);

/// <summary>Decision on an enrolment request.</summary>
public enum EnrollmentDecision
{
    /// <summary>Recorded; waiting for a person (or a policy) to decide.</summary>
    Pending,

    /// <summary>Approved; the response carries the device's credential.</summary>
    Approved,

    /// <summary>Rejected; the agent should stop asking (it retries rarely, in case the decision changes).</summary>
    Rejected,

    /// <summary>The request itself was malformed or broke a rule; <see cref="EnrollmentResponse.Reason"/> names the field. Nothing was recorded.</summary>
    Invalid,
}
