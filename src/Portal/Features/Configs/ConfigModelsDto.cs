namespace Fleet.Portal.Features.Configs;

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ConfigOutcome>))]
public enum ConfigOutcome
{
    Done,

    /// <summary>Bad input; see <see cref="ConfigResult.Problems"/>, located by line/column or field.</summary>
    Invalid,

    NotFound,

    Conflict,

    Forbidden,
}

/// <summary>The outcome of a change made through <see cref="ConfigService"/>. Warnings may accompany a success.</summary>
public sealed record ConfigResult(ConfigOutcome Outcome, IReadOnlyList<ConfigProblem> Problems, int? ConfigId = null, int? Version = null)
{
    public static ConfigResult Done { get; } = new(ConfigOutcome.Done, []);

    public static ConfigResult Forbidden { get; } = new(ConfigOutcome.Forbidden, [new ConfigProblem(ProblemSeverity.Error, "Your role may not change configs.")]);

    public bool Succeeded => Outcome == ConfigOutcome.Done;

    public static ConfigResult NotFound(string message) => new(ConfigOutcome.NotFound, [new ConfigProblem(ProblemSeverity.Error, message)]);

    public static ConfigResult Conflict(string message) => new(ConfigOutcome.Conflict, [new ConfigProblem(ProblemSeverity.Error, message)]);

    public static ConfigResult Invalid(string field, string message) => new(ConfigOutcome.Invalid, [new ConfigProblem(ProblemSeverity.Error, message, field)]);

    public static ConfigResult Invalid(IReadOnlyList<ConfigProblem> problems) => new(ConfigOutcome.Invalid, problems);

    public string Message => Problems.Count == 0 ? "Done" : string.Join(" ", Problems.Where(p => p.Severity == ProblemSeverity.Error).Select(p => p.ToString()));

    /// <summary>Errors by field (or "line N"), as a ValidationProblem wants them.</summary>
    public IDictionary<string, string[]> ByField() =>
        Problems.Where(p => p.Severity == ProblemSeverity.Error)
            .GroupBy(p => p.Path ?? (p.Line is { } l ? $"line {l}" : "source"))
            .ToDictionary(g => g.Key, g => g.Select(p => p.ToString()).ToArray());
}

public sealed record ConfigInput(string Name, ConfigSourceLanguage Language, string? Description, string Source, string? Message);

public sealed record ConfigRow(int Id, string Name, ConfigSourceLanguage Language, string? Description, int LatestVersion, DateTimeOffset UpdatedAt, string UpdatedBy, int Assignments);

public sealed record VersionRow(int Number, string Author, string Message, DateTimeOffset CreatedAt, int SourceBytes);

public sealed record VersionDetails(int ConfigId, int Number, string Source, string CompiledJson, string Author, string Message, DateTimeOffset CreatedAt);

public sealed record ConfigDetails(ConfigRow Config, IReadOnlyList<VersionRow> Versions, VersionDetails Latest, IReadOnlyList<AssignmentRow> Assignments);

public sealed record AssignmentRow(int Id, int ConfigId, string ConfigName, ConfigScope Scope, int? GroupId, Guid? DeviceId, string TargetName, DateTimeOffset AssignedAt, string AssignedBy);

/// <summary>A variable as a given role may see it: a secret's value is masked for Operators and absent for HelpDesk.</summary>
public sealed record VariableRow(string Name, string? Value, bool IsSecret, DateTimeOffset UpdatedAt);

public sealed record SshKeyRow(int Id, string? UserName, int? GroupId, string? GroupName, string PublicKey, string Fingerprint, DateTimeOffset CreatedAt, string CreatedBy);
