using Fleet.Portal.Data;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>The enrolment policy as the Policies page edits it.</summary>
public sealed record EnrollmentPolicyInput(bool AutoApprovePreRegistered, bool AutoApproveTokens);

/// <summary>
/// A new enrolment token; the lifetime defaults to Fleet:Enrollment:TokenLifetimeDays. <paramref name="ForIgnition"/>
/// (Admin only): the Ignition configs of the group write it into the agent's settings, so it is kept encrypted.
/// </summary>
public sealed record CreateTokenInput(
    string Name, string? Group = null, int? LifetimeDays = null, int? MaxUses = null, bool ForIgnition = false);

/// <summary>A token as listed: never the token itself.</summary>
public sealed record TokenRow(int Id, string Name, string Prefix, string? Group, DateTimeOffset CreatedAt, string CreatedBy,
    DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, int? MaxUses, int Uses, DateTimeOffset? LastUsedAt,
    string? Unusable, bool ForIgnition = false);

/// <summary>A token just created: the only time its value is shown.</summary>
public sealed record CreatedToken(TokenRow Token, string Value);

/// <summary>One device to pre-register: a MAC and/or an EK hash.</summary>
public sealed record PreRegistrationInput(string? Mac, string? EkHash = null, string? Hostname = null, string? Group = null, string? Labels = null);

public sealed record PreRegistrationRow(int Id, string? Mac, string? EkHash, string? Hostname, string? Group, string? Labels,
    DateTimeOffset CreatedAt, string CreatedBy, Guid? DeviceId);

/// <summary>The signed Ignition URL of a pre-registered machine and the Pending device it renders.</summary>
public sealed record PreRegistrationIgnitionUrl(Guid DeviceId, string Url);

/// <summary>A CSV row that was not imported: its line number (the header is line 1), the column and why.</summary>
public sealed record CsvRowError(int Row, string Column, string Reason);

/// <summary>What a CSV import did: the rows imported and the rows refused.</summary>
public sealed record CsvImportReport(int Imported, IReadOnlyList<CsvRowError> Errors);

public sealed record RejectRuleInput(RejectKind Kind, string Value, string? Reason = null);

public sealed record RejectRuleRow(int Id, RejectKind Kind, string Value, string? Reason, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>A pending device with everything it presented.</summary>
public sealed record PendingDeviceRow(Guid Id, string Hostname, string MachineId, IReadOnlyList<string> Macs, string? SerialNumber,
    string? PresentedToken, string? Conflict, string? Address, DateTimeOffset FirstSeenAt, DateTimeOffset LastRequestAt, EnrollmentState State);

/// <summary>The device a claim code approved.</summary>
public sealed record ClaimedDevice(Guid DeviceId, string Hostname);
