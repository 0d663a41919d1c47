using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>Parses and validates Ignition JSON (spec 3.0.0–3.6.0) with located diagnostics.</summary>
public static class IgnitionValidator
{
    /// <summary>Parses and validates <paramref name="json"/>; the result carries the parsed object when it parses.</summary>
    public static TranslationResult Validate(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (ConfigCompiler.CheckSize(json) is { } tooBig)
        {
            return tooBig;
        }

        var map = new SourceMap();
        var bag = new DiagnosticBag(map);
        var root = LocatedJson.Parse(json, map, bag.Items);
        if (root is null)
        {
            if (!bag.HasErrors)
            {
                bag.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, "an Ignition config is a JSON object, not null", null, 1, 1));
            }

            return new TranslationResult(null, bag.Items);
        }

        if (root is not JsonObject config)
        {
            bag.Error($"an Ignition config is a JSON object, not {IgnitionSchema.TypeOf(root)}", root);
            return new TranslationResult(null, bag.Items);
        }

        Check(config, bag);
        return new TranslationResult(config, bag.Items);
    }

    /// <summary>Validates an already parsed config (no source locations; paths only).</summary>
    public static IReadOnlyList<ConfigDiagnostic> Validate(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var bag = new DiagnosticBag(new SourceMap());
        Check(config, bag);
        return bag.Items;
    }

    internal static void Check(JsonObject config, DiagnosticBag bag)
    {
        if (IgnitionRules.CheckVersion(config, bag) is { } version)
        {
            IgnitionRules.Check(config, version, bag);
        }
    }
}
