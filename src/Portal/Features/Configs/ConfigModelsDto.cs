namespace Fleet.Portal.Features.Configs;

/// <summary>A config version just saved: its config, its number, and the compiler's warnings about it.</summary>
public sealed record ConfigSaved(int ConfigId, int Version, IReadOnlyList<ConfigProblem> Warnings);

public sealed record ConfigInput(string Name, ConfigSourceLanguage Language, string? Description, string Source, string? Message);

public sealed record ConfigRow(int Id, string Name, ConfigSourceLanguage Language, string? Description, int LatestVersion, DateTimeOffset UpdatedAt, string UpdatedBy, int Assignments);

public sealed record VersionRow(int Number, string Author, string Message, DateTimeOffset CreatedAt, int SourceBytes);

public sealed record VersionDetails(int ConfigId, int Number, string Source, string CompiledJson, string Author, string Message, DateTimeOffset CreatedAt);

public sealed record ConfigDetails(ConfigRow Config, IReadOnlyList<VersionRow> Versions, VersionDetails Latest, IReadOnlyList<AssignmentRow> Assignments);

public sealed record AssignmentRow(int Id, int ConfigId, string ConfigName, ConfigScope Scope, int? GroupId, Guid? DeviceId, string TargetName, DateTimeOffset AssignedAt, string AssignedBy);

/// <summary>A variable as a given role may see it: a secret's value is masked for Operators and absent for HelpDesk.</summary>
public sealed record VariableRow(string Name, string? Value, bool IsSecret, DateTimeOffset UpdatedAt);

public sealed record SshKeyRow(int Id, string? UserName, int? GroupId, string? GroupName, string PublicKey, string Fingerprint, DateTimeOffset CreatedAt, string CreatedBy);
