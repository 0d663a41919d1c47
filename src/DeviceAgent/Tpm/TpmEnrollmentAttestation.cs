using Fleet.DeviceAgent.Runtime;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Tpm;

/// <summary>
/// TPM attestation in enrolment: present the EK and AK, answer the portal's MakeCredential challenge.
/// </summary>
public sealed class TpmEnrollmentAttestation(ITpmAttestor tpm, ILogger logger) : IEnrollmentAttestation
{
    /// <summary>The portal's last challenge, answered in the next request.</summary>
    private TpmChallenge? _challenge;

    /// <summary>Whether the last request carried an answer (or the TPM failed): then the next waits its turn.</summary>
    private bool _sentAnswer;

    public void Begin()
    {
        _challenge = null;
        _sentAnswer = false;
    }

    public async Task<(TpmEvidence? Evidence, TpmActivation? Activation)> ProveAsync(
        CancellationToken cancellationToken)
    {
        var challenge = _challenge;
        _challenge = null;
        _sentAnswer = challenge is not null;
        try
        {
            var evidence = await tpm.GetEvidenceAsync(cancellationToken);
            var activation = challenge is null ? null : await tpm.ActivateAsync(challenge, cancellationToken);
            return (evidence, activation);
        }
        catch (TpmException ex)
        {
            // Without a proof the portal keeps the device pending (or refuses it, if it enrolled with this TPM);
            // asking again on the normal schedule retries the TPM too.
            _sentAnswer = true;
            logger.LogError("The TPM could not prove this device's identity: {Error}", ex.Message);
            return challenge is null ? (null, null) : (await TryEvidenceAsync(cancellationToken), null);
        }
    }

    /// <summary>
    /// Keeps the challenge for the next request; answers at once when the last request was only the opening move.
    /// </summary>
    public bool TakeChallenge(EnrollmentResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.TpmChallenge is not { } challenge)
        {
            return false;
        }

        _challenge = challenge;
        if (_sentAnswer)
        {
            return false;
        }

        logger.LogInformation("The portal sent TPM challenge {ChallengeId}; answering it", challenge.ChallengeId);
        return true;
    }

    private async Task<TpmEvidence?> TryEvidenceAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await tpm.GetEvidenceAsync(cancellationToken);
        }
        catch (TpmException)
        {
            return null;
        }
    }
}
