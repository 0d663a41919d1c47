using System.Globalization;
using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>Ignition spec versions: which are supported, which a config uses, and converting between them.</summary>
public static class IgnitionSpec
{
    /// <summary>The media type Ignition asks for and a server answers with.</summary>
    public const string MediaType = "application/vnd.coreos.ignition+json";

    /// <summary>Spec versions 3.0.0 to 3.6.0, oldest first.</summary>
    public static IReadOnlyList<Version> Supported { get; } =
        [new(3, 0, 0), new(3, 1, 0), new(3, 2, 0), new(3, 3, 0), new(3, 4, 0), new(3, 5, 0), new(3, 6, 0)];

    /// <summary>The <c>ignition.version</c> of <paramref name="config"/>, or null when absent or malformed.</summary>
    public static Version? VersionOf(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config["ignition"] is JsonObject ignition
            && ignition["version"] is JsonValue value
            && value.TryGetValue(out string? text)
            && ParseVersion(text) is { } version ? version : null;
    }

    /// <summary>
    /// Re-expresses <paramref name="config"/> at spec <paramref name="target"/>; an error diagnostic names the
    /// field when the config uses something the target spec lacks.
    /// </summary>
    /// <remarks>
    /// Every 3.x spec is a superset of the one before, so converting up only changes <c>ignition.version</c>.
    /// Converting down succeeds when the config uses nothing the target lacks; an empty <c>compression</c> on a
    /// merged config or certificate authority (which Butane writes) is dropped for targets before 3.1.0, since it
    /// means "none" there too.
    /// </remarks>
    public static TranslationResult ConvertTo(JsonObject config, Version target)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(target);
        if (!Supported.Contains(target))
        {
            return TranslationResult.Fail($"unsupported target spec {target}; supported: {string.Join(", ", Supported)}");
        }

        if (VersionOf(config) is not { } source)
        {
            return TranslationResult.Fail("the config has no valid ignition.version", "ignition.version");
        }

        var copy = config.DeepClone().AsObject();
        var diagnostics = new List<ConfigDiagnostic>();
        if (target < source)
        {
            if (target < new Version(3, 1, 0))
            {
                DropEmptyCompression(copy);
            }

            SpecFeatures.FindNewer(copy, target, (node, key, since, what) => diagnostics.Add(new ConfigDiagnostic(
                DiagnosticSeverity.Error,
                $"cannot convert to spec {target}: {what} need spec {since} or newer",
                JsonPaths.Dotted(node, key),
                null,
                null)));
        }

        if (diagnostics.Count > 0)
        {
            return new TranslationResult(null, diagnostics);
        }

        IgnitionMerge.SetVersion(copy, target);
        return new TranslationResult(copy, diagnostics);
    }

    private static void DropEmptyCompression(JsonObject config)
    {
        var resources = new List<JsonObject>();
        if (config["ignition"]?["config"] is JsonObject configs)
        {
            resources.AddRange((configs["merge"] as JsonArray)?.OfType<JsonObject>() ?? []);
            if (configs["replace"] is JsonObject replace)
            {
                resources.Add(replace);
            }
        }

        resources.AddRange((config["ignition"]?["security"]?["tls"]?["certificateAuthorities"] as JsonArray)?.OfType<JsonObject>() ?? []);
        foreach (var resource in resources)
        {
            if (resource["compression"] is null || (IgnitionRules.TryString(resource, "compression", out var value) && value.Length == 0))
            {
                resource.Remove("compression");
            }
        }
    }

    /// <summary>
    /// The config to serve to a client that sent <paramref name="acceptHeader"/>: converted down to the spec it
    /// asks for when that is older than the config's (e.g. Ignition 2.14 asks for 3.3.0), else unchanged.
    /// Fails, naming the fields, when the config needs a newer spec than the client understands.
    /// </summary>
    public static TranslationResult ForClient(JsonObject config, string? acceptHeader)
    {
        ArgumentNullException.ThrowIfNull(config);
        var requested = RequestedVersion(acceptHeader);
        return requested is not null && VersionOf(config) is { } current && requested < current && Supported.Contains(requested)
            ? ConvertTo(config, requested)
            : new TranslationResult(config, []);
    }

    /// <summary>
    /// The spec version asked for in an HTTP Accept header such as
    /// <c>application/vnd.coreos.ignition+json;version=3.3.0, */*;q=0.1</c>; null when none is named.
    /// </summary>
    public static Version? RequestedVersion(string? acceptHeader)
    {
        if (string.IsNullOrWhiteSpace(acceptHeader))
        {
            return null;
        }

        foreach (var range in acceptHeader.Split(','))
        {
            var parts = range.Split(';');
            if (!parts[0].Trim().Equals(MediaType, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var parameter in parts.Skip(1))
            {
                var pair = parameter.Split('=', 2);
                if (pair.Length == 2 && pair[0].Trim().Equals("version", StringComparison.OrdinalIgnoreCase)
                    && ParseVersion(pair[1].Trim().Trim('"')) is { } version)
                {
                    return version;
                }
            }
        }

        return null;
    }

    internal static Version? ParseVersion(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        var numbers = new int[3];
        for (var i = 0; i < 3; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                return null;
            }
        }

        return new Version(numbers[0], numbers[1], numbers[2]);
    }
}
