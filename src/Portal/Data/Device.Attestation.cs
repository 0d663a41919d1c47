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

    /// <summary>Every MAC, machine-id and EK hash this device presented.</summary>
    public List<Features.Attestation.DeviceIdentifier> Identifiers { get; set; } = [];
}
