namespace Fleet.Portal.Data;

// TPM attestation and identities; configured in Features/Attestation/AttestationModel.cs.
public sealed partial class Device
{
    /// <summary>
    /// Lower-case hex SHA-256 of the EK's DER SubjectPublicKeyInfo, set once the device proved it holds
    /// that EK. From then on the device is found by it first, and every request must prove it again.
    /// </summary>
    public string? EkHash { get; set; }

    /// <summary>When the device last proved possession of its EK (a passed MakeCredential challenge).</summary>
    public DateTimeOffset? TpmVerifiedAt { get; set; }

    /// <summary>Issuer DN of the EK certificate the TPM presented at its last proof; null when it had none.</summary>
    public string? EkCertificateIssuer { get; set; }

    /// <summary>Serial number (hex) of the EK certificate the TPM presented at its last proof.</summary>
    public string? EkCertificateSerial { get; set; }

    /// <summary>
    /// When the EK certificate last chained to a trusted TPM manufacturer CA with the EK's own key; null when it did
    /// not at the last proof (see <see cref="EkCertificateProblem"/>).
    /// </summary>
    public DateTimeOffset? EkCertificateVerifiedAt { get; set; }

    /// <summary>
    /// Why the EK is not vouched for by a trusted TPM maker (no certificate, untrusted issuer, …) at the last proof.
    /// </summary>
    public string? EkCertificateProblem { get; set; }

    /// <summary>Every MAC, machine-id and EK hash this device presented.</summary>
    public List<Features.Attestation.DeviceIdentifier> Identifiers { get; set; } = [];
}
