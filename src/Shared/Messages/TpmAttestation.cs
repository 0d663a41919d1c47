namespace Fleet.Shared.Messages;

/// <summary>
/// What a device with a TPM 2.0 presents in <see cref="EnrollmentRequest.Tpm"/>: its endorsement key
/// (EK) and an attestation key (AK) created under it. The portal proves that the AK lives in the TPM
/// that owns the EK with the MakeCredential / ActivateCredential challenge before it trusts either.
/// </summary>
/// <param name="EkPublic">
/// The EK public key, base64: a TPM2B_PUBLIC (what <c>tpm2_createek -u</c> writes) or a DER SubjectPublicKeyInfo.
/// RSA 2048 or ECC NIST P-256.
/// </param>
/// <param name="AkPublic">The AK public area, base64 TPM2B_PUBLIC (<c>tpm2_createak -u</c>). Must be a restricted signing key fixed to the TPM.</param>
/// <param name="AkName">The AK name in lower-case hex: nameAlg (2 bytes) then the digest of the AK's TPMT_PUBLIC. The portal recomputes it.</param>
/// <param name="EkCertificate">
/// The EK's certificate (DER, base64) where the TPM has one: NV index 0x1c00002 for an RSA EK, 0x1c0000a for an ECC
/// EK. The portal checks that it is for this EK and chains to a TPM manufacturer CA it trusts.
/// </param>
public sealed record TpmEvidence(
    string EkPublic,
    string AkPublic,
    string AkName,
    string? EkCertificate = null);

/// <summary>
/// Portal → agent in <see cref="EnrollmentResponse.TpmChallenge"/>: a secret encrypted so that only the
/// TPM holding the presented EK, with the presented AK loaded, can recover it (TPM2_ActivateCredential).
/// Single use, bound to the enrolment id, the EK and the AK name; expires at <paramref name="ExpiresAt"/>.
/// </summary>
/// <param name="ChallengeId">Names the challenge in the answer (<see cref="TpmActivation.ChallengeId"/>); 32 hex digits.</param>
/// <param name="CredentialBlob">TPM2B_ID_OBJECT, base64, size prefix included.</param>
/// <param name="EncryptedSecret">TPM2B_ENCRYPTED_SECRET, base64, size prefix included.</param>
/// <param name="ExpiresAt">After this (portal clock) the answer is refused and a new challenge is issued.</param>
public sealed record TpmChallenge(
    string ChallengeId,
    string CredentialBlob,
    string EncryptedSecret,
    DateTimeOffset ExpiresAt);

/// <summary>Agent → portal in <see cref="EnrollmentRequest.TpmActivation"/>: the secret the TPM recovered from a <see cref="TpmChallenge"/>.</summary>
/// <param name="ChallengeId">The <see cref="TpmChallenge.ChallengeId"/> answered.</param>
/// <param name="Secret">The recovered secret, base64.</param>
public sealed record TpmActivation(string ChallengeId, string Secret);
