using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tpm;

/// <summary>The device's TPM as enrolment needs it: its keys, and the answer to a MakeCredential challenge.</summary>
public interface ITpmAttestor
{
    /// <summary>The EK public key, EK certificate (if any) and the agent's attestation key, creating the AK on first use.</summary>
    /// <exception cref="TpmException">A tpm2-tools command failed.</exception>
    Task<TpmEvidence> GetEvidenceAsync(CancellationToken cancellationToken);

    /// <summary>Recovers the challenge's secret with TPM2_ActivateCredential.</summary>
    /// <exception cref="TpmException">The TPM could not activate it (not this TPM's EK, another AK, a corrupt blob).</exception>
    Task<TpmActivation> ActivateAsync(TpmChallenge challenge, CancellationToken cancellationToken);
}

/// <summary>A TPM operation failed; the message carries the tool's own words.</summary>
public sealed class TpmException(string message, Exception? inner = null) : Exception(message, inner);
