using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Attestation;

/// <summary>Configuration section <c>Fleet:Attestation</c>: TPM challenge lifetime.</summary>
public sealed class AttestationOptions
{
    public const string Section = "Fleet:Attestation";

    /// <summary>How long a device has to answer a MakeCredential challenge; a late answer gets a new challenge.</summary>
    [Range(10, 3_600)]
    public int ChallengeLifetimeSeconds { get; set; } = 300;
}
