using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>How bad a <see cref="ConfigDiagnostic"/> is: errors block a config, warnings do not.</summary>
public enum DiagnosticSeverity
{
    /// <summary>The config is invalid and must not be saved or served.</summary>
    Error,

    /// <summary>The config is usable but probably not what the author meant (e.g. an unknown key).</summary>
    Warning,
}

/// <summary>One problem found in a config, located so a person can find and fix it.</summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="Message">The rule that was broken, in words.</param>
/// <param name="Path">
/// Field path such as <c>storage.files.2.mode</c>: Butane field names for Butane input, Ignition names for
/// Ignition input; null when the problem is not tied to a field (e.g. a syntax error).
/// </param>
/// <param name="Line">1-based line in the source text the person typed, null if unknown.</param>
/// <param name="Column">1-based column in the source text, null if unknown.</param>
public sealed record ConfigDiagnostic(DiagnosticSeverity Severity, string Message, string? Path, int? Line, int? Column)
{
    /// <summary>Formats as <c>line:col: error at path: message</c> for logs and test output.</summary>
    public override string ToString()
    {
        var location = Line is null ? "" : $"{Line}:{Column}: ";
        var at = Path is null ? "" : $" at {Path}";
        return $"{location}{Severity.ToString().ToLowerInvariant()}{at}: {Message}";
    }
}

/// <summary>The language a config is authored in.</summary>
public enum ConfigLanguage
{
    /// <summary>Butane YAML (variants <c>fcos</c> 1.0.0–1.6.0 and <c>fiot</c> 1.0.0), translated to Ignition.</summary>
    Butane,

    /// <summary>Ignition JSON, spec 3.0.0–3.6.0.</summary>
    Ignition,
}

/// <summary>The outcome of translating or validating a config.</summary>
/// <param name="Ignition">The Ignition config, or null when the input could not be translated or parsed.</param>
/// <param name="Diagnostics">Errors and warnings, in source order where known.</param>
public sealed record TranslationResult(JsonObject? Ignition, IReadOnlyList<ConfigDiagnostic> Diagnostics)
{
    /// <summary>True when there is a config and no error (warnings are allowed).</summary>
    public bool Succeeded => Ignition is not null && !Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>The errors only.</summary>
    public IEnumerable<ConfigDiagnostic> Errors => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error);

    /// <summary>The warnings only (shown apart from errors).</summary>
    public IEnumerable<ConfigDiagnostic> Warnings => Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Warning);

    internal static TranslationResult Fail(string message, string? path = null, int? line = null, int? column = null) =>
        new(null, [new ConfigDiagnostic(DiagnosticSeverity.Error, message, path, line, column)]);
}
