using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>Section <c>Fleet:Enrollment</c>: claim codes, credential rotation and the claim rate limits.</summary>
public sealed class EnrollmentOptions
{
    public const string Section = "Fleet:Enrollment";

    /// <summary>Give unknown pending devices a claim code in their Pending answer.</summary>
    public bool ClaimCodes { get; set; } = true;

    /// <summary>How long a claim code works.</summary>
    [Range(1, 10_080)]
    public int ClaimCodeLifetimeMinutes { get; set; } = 60;

    /// <summary>Claim attempts one user may make per minute (right or wrong).</summary>
    [Range(1, 10_000)]
    public int ClaimAttemptsPerUserPerMinute { get; set; } = 10;

    /// <summary>Claim attempts the whole portal accepts per minute, whoever makes them.</summary>
    [Range(1, 1_000_000)]
    public int ClaimAttemptsPerMinute { get; set; } = 120;

    /// <summary>
    /// Rotate every online device's credential when it is older than this many days; 0 turns age-based rotation off
    /// (certificates are still renewed in the last third of their life).
    /// </summary>
    [Range(0, 3_650)]
    public int CredentialRotationDays { get; set; }

    /// <summary>How often the rotation schedule is checked.</summary>
    [Range(1, 1_440)]
    public int RotationCheckMinutes { get; set; } = 60;

    /// <summary>Most credentials rotated per check, so a large fleet is rotated over several checks.</summary>
    [Range(1, 100_000)]
    public int RotationBatchSize { get; set; } = 500;

    /// <summary>Default lifetime of a new enrolment token.</summary>
    [Range(1, 3_650)]
    public int TokenLifetimeDays { get; set; } = 30;
}
