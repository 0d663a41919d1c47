using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// The language core (Fleet.Shared.Ignition: Butane translator, validator, merge, spec conversion) behind
/// the portal's seam, mapping its diagnostics to the portal's problem records.
/// </summary>
internal sealed class SharedIgnitionToolchain : IConfigToolchain
{
    public CompileOutcome Compile(ConfigSourceLanguage language, string source) =>
        Map(ConfigCompiler.Compile(language == ConfigSourceLanguage.Butane ? ConfigLanguage.Butane : ConfigLanguage.Ignition, source));

    public (JsonObject Merged, IReadOnlyDictionary<string, string> Origins) MergeLayers(IReadOnlyList<(string Layer, JsonObject Config)> layers) =>
        IgnitionMerge.MergeLayers(layers);

    public CompileOutcome ConvertTo(JsonObject config, Version target) => Map(IgnitionSpec.ConvertTo(config, target));

    public Version? VersionOf(JsonObject config) => IgnitionSpec.VersionOf(config);

    public (Version? Version, string? Refusal) NegotiateVersion(string? acceptHeader, Version native) =>
        IgnitionSpec.Negotiate(acceptHeader, native);

    private static CompileOutcome Map(TranslationResult result) => new(
        result.Succeeded ? result.Ignition : null,
        [.. result.Diagnostics.Select(d => new ConfigProblem(d.Severity == DiagnosticSeverity.Error ? ProblemSeverity.Error : ProblemSeverity.Warning, d.Message, d.Path, d.Line, d.Column))]);
}
