using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Runtime;

/// <summary>
/// Proof of the device's identity in enrolment beyond what it says about itself (the TPM): evidence in every request,
/// the answer to the portal's challenge in the next one. A device without it registers none.
/// </summary>
public interface IEnrollmentAttestation
{
    /// <summary>An enrolment begins: no challenge is pending.</summary>
    void Begin();

    /// <summary>
    /// The evidence and the answer to the pending challenge for the next request; nulls when it fails.
    /// </summary>
    Task<(TpmEvidence? Evidence, TpmActivation? Activation)> ProveAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Keeps the challenge of a Pending response; true when the request should be sent again at once.
    /// </summary>
    bool TakeChallenge(EnrollmentResponse response);
}
