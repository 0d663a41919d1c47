using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Attestation;

/// <summary>
/// Configuration section <c>Fleet:Attestation</c>: TPM challenge lifetime, and which TPM makers' EK certificates the
/// portal trusts.
/// </summary>
public sealed class AttestationOptions
{
    public const string Section = "Fleet:Attestation";

    /// <summary>How long a device has to answer a MakeCredential challenge; a late answer gets a new challenge.</summary>
    [Range(10, 3_600)]
    public int ChallengeLifetimeSeconds { get; set; } = 300;

    /// <summary>
    /// What an EK without a valid certificate chain (none, untrusted, expired, or not the EK's key) means.
    /// <c>Require</c>: refused. <c>Flag</c>: enrols, but waits for a person even when a token or MAC
    /// pre-registration would approve it (a pre-registration of its EK hash is a person's word). <c>Ignore</c>: no
    /// effect (still shown). A certificate for another key is refused under <c>Require</c> and <c>Flag</c>.
    /// </summary>
    public EkCertificatePolicy EkCertificatePolicy { get; set; } = EkCertificatePolicy.Flag;

    /// <summary>
    /// Folder of trusted TPM manufacturer CA certificates (roots and intermediates; PEM or DER, <c>.pem</c>,
    /// <c>.crt</c>, <c>.cer</c>, <c>.der</c>), read again when a file changes; relative paths are under the data
    /// directory. Certificates an Admin uploads are written here.
    /// </summary>
    [Required]
    public string EkCaDirectory { get; set; } = "tpm-ek-cas";

    /// <summary>
    /// A PEM bundle of further trusted TPM manufacturer CA certificates (e.g. a distribution's bundle), read again
    /// when it changes; relative paths are under the data directory. Empty: the folder alone.
    /// </summary>
    public string? EkCaBundle { get; set; }
}

/// <summary>What the portal does with an EK whose certificate does not chain to a trusted TPM maker's CA.</summary>
public enum EkCertificatePolicy
{
    /// <summary>Refuse the enrolment request (Invalid, reason sent to the device, logged, audited).</summary>
    Require = 0,

    /// <summary>Enrol, but hold the device for a person: no policy approves it.</summary>
    Flag = 1,

    /// <summary>Record and show what was found; decide nothing on it.</summary>
    Ignore = 2,
}
