namespace Fleet.Portal.Data;

// Enrolment proof, credential rotation and decommissioning; mapped in Features/Enrollment/EnrollmentModel.cs.
public sealed partial class Device
{
    /// <summary>SHA-256 of the agent's enrolment key, bound by its first request; later requests must present the same key.</summary>
    public byte[]? EnrollmentKeyHash { get; set; }

    /// <summary>SentAt of the last request accepted; an approved enrolment refuses one that is not newer (a replay).</summary>
    public DateTimeOffset? LastRequestSentAt { get; set; }

    /// <summary>A rotated secret published to the device and not yet used; it replaces <see cref="CredentialHash"/> when the device connects with it.</summary>
    public byte[]? PendingCredentialHash { get; set; }

    public DateTimeOffset? PendingCredentialIssuedAt { get; set; }

    /// <summary>Which policy (or person) approved the device: <c>manual</c>, <c>token:name</c>, <c>pre-registered</c>, <c>claim</c>.</summary>
    public string? ApprovedBy { get; set; }

    public DateTimeOffset? DecommissionedAt { get; set; }

    /// <summary>The enrolment token the device presented: its name (and why it did not count), or <c>unknown</c>.</summary>
    public string? PresentedToken { get; set; }

    /// <summary>
    /// The PKCS#10 request (PEM) of the last enrolment request that carried one: the key the device made for itself,
    /// certified when it is approved, by whichever path.
    /// </summary>
    public string? CertificateRequest { get; set; }

    /// <summary>
    /// The device's client certificate (PEM, issued by the portal CA); kept so that a repeated enrolment request gets
    /// the same one. Only this one's serial is accepted at CONNECT; revocation clears it.
    /// </summary>
    public string? CertificatePem { get; set; }

    /// <summary>Serial number of <see cref="CertificatePem"/>, upper-case hex as .NET prints it.</summary>
    public string? CertificateSerial { get; set; }

    public DateTimeOffset? CertificateNotAfter { get; set; }

    /// <summary>SHA-256 of <see cref="CertificatePem"/> (DER), lower-case hex.</summary>
    public string? CertificateFingerprint { get; set; }

    /// <summary>
    /// A renewed certificate sent to the device and not yet used; it replaces <see cref="CertificatePem"/> when the
    /// device connects with it (or with <see cref="PendingCredentialHash"/>'s secret, sent with it).
    /// </summary>
    public string? PendingCertificatePem { get; set; }

    public string? PendingCertificateSerial { get; set; }
}
