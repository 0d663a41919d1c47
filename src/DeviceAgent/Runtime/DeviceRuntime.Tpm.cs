using Fleet.DeviceAgent.Tpm;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging;

namespace Fleet.DeviceAgent.Runtime;

// TPM attestation in enrolment: present the EK and AK, answer the portal's MakeCredential challenge.
public sealed partial class DeviceRuntime
{
    /// <summary>The TPM evidence and the answer to the pending challenge for the next request; nulls without a TPM or when it fails.</summary>
    private async Task<(TpmEvidence? Evidence, TpmActivation? Activation)> ProveTpmAsync(EnrollmentProgress progress, CancellationToken cancellationToken)
    {
        if (_tpm is null)
        {
            return (null, null);
        }

        var challenge = progress.Challenge;
        progress.Challenge = null;
        progress.SentTpmAnswer = challenge is not null;
        try
        {
            var evidence = await _tpm.GetEvidenceAsync(cancellationToken);
            var activation = challenge is null ? null : await _tpm.ActivateAsync(challenge, cancellationToken);
            return (evidence, activation);
        }
        catch (TpmException ex)
        {
            // Without a proof the portal keeps the device pending (or refuses it, if it enrolled with this TPM);
            // asking again on the normal schedule retries the TPM too.
            progress.SentTpmAnswer = true;
            _logger.LogError("The TPM could not prove this device's identity: {Error}", ex.Message);
            return challenge is null ? (null, null) : (await TryEvidenceAsync(cancellationToken), null);
        }
    }

    private async Task<TpmEvidence?> TryEvidenceAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _tpm!.GetEvidenceAsync(cancellationToken);
        }
        catch (TpmException)
        {
            return null;
        }
    }

    /// <summary>Keeps the challenge for the next request; answers at once when the last request was only the opening move.</summary>
    private void TakeTpmChallenge(EnrollmentResponse response, EnrollmentProgress progress, DateTimeOffset now)
    {
        if (_tpm is null || response.TpmChallenge is not { } challenge)
        {
            return;
        }

        progress.Challenge = challenge;
        if (!progress.SentTpmAnswer)
        {
            _logger.LogInformation("The portal sent TPM challenge {ChallengeId}; answering it", challenge.ChallengeId);
            progress.Due = now;
        }
    }
}
