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
}
