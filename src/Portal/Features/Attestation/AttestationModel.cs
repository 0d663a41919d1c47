namespace Fleet.Portal.Features.Attestation;

/// <summary>Kinds of identity a device presents.</summary>
public enum IdentifierKind
{
    Mac = 0,
    MachineId = 1,
    EkHash = 2,
}

/// <summary>How people read an <see cref="IdentifierKind"/>.</summary>
public static class IdentifierKindLabels
{
    public static string Label(this IdentifierKind kind) => kind switch
    {
        IdentifierKind.Mac => "MAC",
        IdentifierKind.MachineId => "machine-id",
        _ => "EK hash",
    };
}

/// <summary>One identity a device presented (a MAC, its machine-id, its EK hash), with when it was first and last seen.</summary>
public sealed class DeviceIdentifier
{
    public long Id { get; set; }

    public Guid DeviceId { get; set; }

    public IdentifierKind Kind { get; set; }

    public required string Value { get; set; }

    public DateTimeOffset FirstSeenAt { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }
}

/// <summary>
/// An identity that two devices claim in ways that cannot both be true (the same MAC with a different
/// EK or machine-id). Flagged for a person; nothing is merged. Open until an Operator resolves it.
/// </summary>
public sealed class IdentityConflict
{
    public long Id { get; set; }

    /// <summary>The device whose request raised the conflict (it stays Pending).</summary>
    public Guid DeviceId { get; set; }

    /// <summary>The device that already held the identity.</summary>
    public Guid OtherDeviceId { get; set; }

    public IdentifierKind Kind { get; set; }

    public required string Value { get; set; }

    /// <summary>What differs, for a person: "EK a1b2… vs c3d4…", "machine-id … vs …".</summary>
    public required string Detail { get; set; }

    public DateTimeOffset DetectedAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public string? ResolvedBy { get; set; }

    public string? Resolution { get; set; }
}

/// <summary>An issued MakeCredential challenge; the secret is kept only as its SHA-256.</summary>
public sealed class TpmChallengeRecord
{
    /// <summary>32 random hex digits; <see cref="Shared.Messages.TpmChallenge.ChallengeId"/>.</summary>
    public required string Id { get; set; }

    public required string EnrollmentId { get; set; }

    public required string EkHash { get; set; }

    public required string AkName { get; set; }

    public required byte[] SecretHash { get; set; }

    public DateTimeOffset IssuedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>Set when answered correctly; a second answer is a replay.</summary>
    public DateTimeOffset? UsedAt { get; set; }
}
