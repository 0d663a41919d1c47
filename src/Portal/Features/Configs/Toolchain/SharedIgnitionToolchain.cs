using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// The language core (Fleet.Shared.Ignition: Butane translator, validator, merge, spec conversion) behind
/// the portal's seam. While a core operation is still a stub (it reports "not implemented" or throws
/// <see cref="NotImplementedException"/>), the portal's own <see cref="PortalIgnitionToolchain"/> answers
/// instead, so the portal works at every stage of the core's development; once the core is complete the
/// fallback is never reached and can be deleted.
/// </summary>
internal sealed class SharedIgnitionToolchain(PortalIgnitionToolchain fallback) : IConfigToolchain
{
    public CompileOutcome Compile(ConfigSourceLanguage language, string source)
    {
        try
        {
            var result = ConfigCompiler.Compile(language == ConfigSourceLanguage.Butane ? ConfigLanguage.Butane : ConfigLanguage.Ignition, source);
            if (IsStub(result))
            {
                return fallback.Compile(language, source);
            }

            return Map(result);
        }
        catch (NotImplementedException)
        {
            return fallback.Compile(language, source);
        }
    }

    public (JsonObject Merged, IReadOnlyDictionary<string, string> Origins) MergeLayers(IReadOnlyList<(string Layer, JsonObject Config)> layers)
    {
        try
        {
            return IgnitionMerge.MergeLayers(layers);
        }
        catch (NotImplementedException)
        {
            return fallback.MergeLayers(layers);
        }
    }

    public CompileOutcome ConvertTo(JsonObject config, Version target)
    {
        try
        {
            var result = IgnitionSpec.ConvertTo(config, target);
            return IsStub(result) ? fallback.ConvertTo(config, target) : Map(result);
        }
        catch (NotImplementedException)
        {
            return fallback.ConvertTo(config, target);
        }
    }

    public Version? VersionOf(JsonObject config) => IgnitionSpec.VersionOf(config);

    public Version? RequestedVersion(string? acceptHeader) => IgnitionSpec.RequestedVersion(acceptHeader);

    private static bool IsStub(TranslationResult result) =>
        !result.Succeeded && result.Diagnostics.Count == 1 && result.Diagnostics[0].Message.Contains("not implemented", StringComparison.OrdinalIgnoreCase);

    private static CompileOutcome Map(TranslationResult result) => new(
        result.Succeeded ? result.Ignition : null,
        [.. result.Diagnostics.Select(d => new ConfigProblem(d.Severity == DiagnosticSeverity.Error ? ProblemSeverity.Error : ProblemSeverity.Warning, d.Message, d.Path, d.Line, d.Column))]);
}
