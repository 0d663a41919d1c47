using System.Text.Json.Nodes;

namespace Fleet.Portal.Features.Configs;

[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<ProblemSeverity>))]
public enum ProblemSeverity
{
    Error,
    Warning,
}

/// <summary>One finding about a config, located in its source (line and column are 1-based) and by field path.</summary>
public sealed record ConfigProblem(ProblemSeverity Severity, string Message, string? Path = null, int? Line = null, int? Column = null)
{
    public string Where => (Line, Path) switch
    {
        ({ } line, { } path) => $"line {line}, column {Column ?? 1} ({path})",
        ({ } line, null) => $"line {line}, column {Column ?? 1}",
        (null, { } path) => path,
        _ => "config",
    };

    public override string ToString() => $"{Where}: {Message}";

    /// <summary>The errors among <paramref name="problems"/>, located as an <see cref="Outcome"/> reports them.
    /// </summary>
    public static IReadOnlyList<OutcomeError> Errors(IEnumerable<ConfigProblem> problems) =>
    [
        .. problems.Where(p => p.Severity == ProblemSeverity.Error)
            .Select(p => new OutcomeError(p.Message, p.Path, p.Line, p.Column)),
    ];
}

/// <summary>A compiled (or converted) Ignition config and what was found on the way; <see cref="Ignition"/> is null when an error was found.</summary>
public sealed record CompileOutcome(JsonObject? Ignition, IReadOnlyList<ConfigProblem> Problems)
{
    public bool Succeeded => Ignition is not null && Problems.All(p => p.Severity != ProblemSeverity.Error);

    public IEnumerable<ConfigProblem> Errors => Problems.Where(p => p.Severity == ProblemSeverity.Error);

    public IEnumerable<ConfigProblem> Warnings => Problems.Where(p => p.Severity == ProblemSeverity.Warning);

    public static CompileOutcome Failed(string message, string? path = null, int? line = null, int? column = null) =>
        new(null, [new ConfigProblem(ProblemSeverity.Error, message, path, line, column)]);
}

/// <summary>
/// The Ignition language operations the portal needs: compile Butane/validate Ignition, merge layers
/// keeping origins, convert between spec versions, choose the spec version to serve a client. The portal
/// talks to this seam only, so the language core (Fleet.Shared.Ignition) plugs in behind it.
/// </summary>
public interface IConfigToolchain
{
    CompileOutcome Compile(ConfigSourceLanguage language, string source);

    (JsonObject Merged, IReadOnlyDictionary<string, string> Origins) MergeLayers(IReadOnlyList<(string Layer, JsonObject Config)> layers);

    CompileOutcome ConvertTo(JsonObject config, Version target);

    Version? VersionOf(JsonObject config);

    /// <summary>
    /// The spec to serve for an <c>Accept</c> header and a config at <paramref name="native"/>, or why none is
    /// acceptable.
    /// </summary>
    (Version? Version, string? Refusal) NegotiateVersion(string? acceptHeader, Version native);
}
