namespace Fleet.Portal.Features.Enrollment;

/// <summary>The enrolment policy (one row): which unknown devices are approved without a person.</summary>
public sealed class EnrollmentSettings
{
    public const int SingletonId = 1;

    public int Id { get; set; } = SingletonId;

    /// <summary>Approve a device whose MAC or EK hash was pre-registered.</summary>
    public bool AutoApprovePreRegistered { get; set; }

    /// <summary>Approve a device presenting a valid enrolment token.</summary>
    public bool AutoApproveTokens { get; set; }

    public DateTimeOffset? ChangedAt { get; set; }

    public string? ChangedBy { get; set; }
}

/// <summary>An enrolment token: whoever holds it may enrol devices into <see cref="GroupId"/> without a person.</summary>
public sealed class EnrollmentToken
{
    public const int MaxNameLength = 64;

    public int Id { get; set; }

    public required string Name { get; set; }

    /// <summary>SHA-256 of the token; the token itself is shown once, when created.</summary>
    public required byte[] TokenHash { get; set; }

    /// <summary>The token's first characters, so a person can tell tokens apart.</summary>
    public required string Prefix { get; set; }

    /// <summary>Group the approved devices join; null: the default group.</summary>
    public int? GroupId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }

    /// <summary>How many devices it may enrol; null: no limit (until it expires).</summary>
    public int? MaxUses { get; set; }

    public int Uses { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>
    /// The token itself, encrypted with Data Protection (as secret config variables are), when an Admin marked it at
    /// creation to be written into the Ignition configs of its group (<c>/etc/fleet-agent/agent.env</c>); null for
    /// every other token, of which only the hash is kept.
    /// </summary>
    public string? ProtectedValue { get; set; }

    /// <summary>Whether Ignition configs of the token's group carry it (<see cref="ProtectedValue"/>).</summary>
    public bool ForIgnition => ProtectedValue is not null;

    /// <summary>Why the token is not usable at <paramref name="now"/>, or null when it is.</summary>
    public string? Unusable(DateTimeOffset now) =>
        RevokedAt is not null ? "revoked"
        : now >= ExpiresAt ? "expired"
        : MaxUses is { } max && Uses >= max ? "used up"
        : null;
}

/// <summary>A device announced before it first connects: matched by MAC or TPM EK hash.</summary>
public sealed class PreRegistration
{
    public int Id { get; set; }

    /// <summary>Lower-case colon-separated MAC, or null when registered by EK hash only.</summary>
    public string? Mac { get; set; }

    /// <summary>Lower-case hex SHA-256 of the EK public key's DER SubjectPublicKeyInfo.</summary>
    public string? EkHash { get; set; }

    public string? Hostname { get; set; }

    public int? GroupId { get; set; }

    /// <summary>Comma-separated <c>key=value</c> or plain labels.</summary>
    public string? Labels { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }

    /// <summary>The device that matched it, once one has.</summary>
    public Guid? DeviceId { get; set; }
}

/// <summary>What a reject rule matches.</summary>
public enum RejectKind
{
    Mac = 0,
    MachineId = 1,
    EnrollmentId = 2,
}

/// <summary>How people read a <see cref="RejectKind"/>; the API keeps the enum names.</summary>
public static class RejectKindLabels
{
    public static string Label(this RejectKind kind) => kind switch
    {
        RejectKind.Mac => "MAC address",
        RejectKind.MachineId => "Machine-id",
        _ => "Enrolment id",
    };
}

/// <summary>A device that must never be enrolled, whatever it presents.</summary>
public sealed class RejectRule
{
    public int Id { get; set; }

    public RejectKind Kind { get; set; }

    public required string Value { get; set; }

    public string? Reason { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }
}

/// <summary>A claim code issued to a pending device; only its hash is kept.</summary>
public sealed class ClaimCode
{
    public long Id { get; set; }

    public Guid DeviceId { get; set; }

    public required byte[] CodeHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? UsedAt { get; set; }

    public string? UsedBy { get; set; }
}
