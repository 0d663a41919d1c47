using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
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
            diagnostics.AddRange(NewerInlineChildren(copy, target));
        }

        if (diagnostics.Count > 0)
        {
            return new TranslationResult(null, diagnostics);
        }

        IgnitionMerge.SetVersion(copy, target);
        return new TranslationResult(copy, diagnostics);
    }

    /// <summary>The largest inline child config that is decompressed to read its version.</summary>
    private const int MaxInlineChildBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Inline (<c>data:</c>) <c>merge</c>/<c>replace</c> children whose own <c>ignition.version</c> is newer than
    /// <paramref name="target"/>: Ignition parses a child at the child's version, so a parent converted down while
    /// its child stays newer fails on a client that knows only the target (Butane writes such children verbatim,
    /// and their bytes may be pinned by <c>verification.hash</c>, so they are reported, not rewritten).
    /// </summary>
    private static IEnumerable<ConfigDiagnostic> NewerInlineChildren(JsonObject config, Version target)
    {
        var children = new List<(JsonObject Resource, string Path)>();
        if (config["ignition"]?["config"] is JsonObject configs)
        {
            var merge = (configs["merge"] as JsonArray)?.OfType<JsonObject>().ToList() ?? [];
            children.AddRange(merge.Select((m, i) => (m, $"ignition.config.merge.{i}.source")));
            if (configs["replace"] is JsonObject replace)
            {
                children.Add((replace, "ignition.config.replace.source"));
            }
        }

        foreach (var (resource, path) in children)
        {
            if (InlineChildVersion(resource) is { } child && child > target)
            {
                yield return new ConfigDiagnostic(DiagnosticSeverity.Error,
                    $"cannot convert to spec {target}: the inline config it merges is spec {child}", path, null, null);
            }
        }
    }

    private static Version? InlineChildVersion(JsonObject resource)
    {
        if (!IgnitionRules.TryString(resource, "source", out var source) || !DataUrl.TryDecode(source, out var bytes))
        {
            return null;
        }

        try
        {
            if (IgnitionRules.TryString(resource, "compression", out var compression) && compression == "gzip")
            {
                using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var plain = new MemoryStream();
                var buffer = new byte[81920];
                int read;
                while ((read = gzip.Read(buffer)) > 0 && plain.Length <= MaxInlineChildBytes)
                {
                    plain.Write(buffer, 0, read);
                }

                bytes = plain.ToArray();
            }

            return JsonNode.Parse(bytes) is JsonObject child ? VersionOf(child) : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidDataException)
        {
            return null;   // not a readable config: the validator reports it, not the version check
        }
    }

    /// <summary>
    /// The spec to serve a client that sent <paramref name="acceptHeader"/>, for a config at <paramref name="native"/>
    /// (RFC 9110 content negotiation): the version of the most preferred Ignition media range when this portal
    /// serves that spec; the native version when none names a version, or when the version named is one this portal
    /// does not know but the client also accepts <c>*/*</c>, <c>application/*</c> or the unversioned Ignition type
    /// (a newer Ignition reads older specs). Null, with the reason, when nothing acceptable can be served.
    /// </summary>
    public static (Version? Version, string? Refusal) Negotiate(string? acceptHeader, Version native)
    {
        ArgumentNullException.ThrowIfNull(native);
        var ranges = MediaRanges(acceptHeader).Where(r => r.Quality > 0).ToList();
        var versioned = ranges.Where(r => r.Version is not null).OrderByDescending(r => r.Quality).ToList();
        if (versioned.Count == 0)
        {
            return (native, null);
        }

        if (versioned.Select(r => r.Version!).FirstOrDefault(Supported.Contains) is { } known)
        {
            return (known, null);
        }

        return ranges.Any(r => r.Version is null && r.Type is "*/*" or "application/*" or MediaType)
            ? (native, null)
            : (null, $"spec {string.Join(", ", versioned.Select(r => r.Version))} is not one this portal serves "
                + $"({Supported[0]} to {Supported[^1]})");
    }

    private static IEnumerable<(string Type, Version? Version, double Quality)> MediaRanges(string? acceptHeader)
    {
        foreach (var range in (acceptHeader ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = range.Split(';');
            var type = parts[0].Trim().ToLowerInvariant();
            Version? version = null;
            var quality = 1.0;
            foreach (var pair in parts.Skip(1).Select(p => p.Split('=', 2)).Where(p => p.Length == 2))
            {
                var (name, value) = (pair[0].Trim(), pair[1].Trim().Trim('"'));
                if (name.Equals("q", StringComparison.OrdinalIgnoreCase))
                {
                    var styles = NumberStyles.AllowDecimalPoint;
                    quality = double.TryParse(value, styles, CultureInfo.InvariantCulture, out var q) ? q : 0;
                }
                else if (type == MediaType && name.Equals("version", StringComparison.OrdinalIgnoreCase))
                {
                    version = ParseVersion(value) ?? new Version(0, 0);
                }
            }

            if (type.Length > 0)
            {
                yield return (type, version, quality);
            }
        }
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
