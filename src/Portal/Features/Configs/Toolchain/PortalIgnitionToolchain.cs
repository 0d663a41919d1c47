using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// The portal's own Ignition JSON handling: parse with located syntax errors, the structural rules
/// (spec version, absolute clean unique paths, mode range, unit names), merge with Ignition's keyed-list
/// semantics and origins, spec up-conversion and the <c>Accept</c> version. Butane needs the language
/// core (Fleet.Shared.Ignition); until it is wired in, Butane sources are refused with a clear message.
/// </summary>
internal sealed partial class PortalIgnitionToolchain : IConfigToolchain
{
    public static readonly IReadOnlyList<Version> Supported = [new(3, 0, 0), new(3, 1, 0), new(3, 2, 0), new(3, 3, 0), new(3, 4, 0), new(3, 5, 0), new(3, 6, 0)];

    /// <summary>Keyed lists: an entry of a later layer with the same key replaces fields of the earlier one.</summary>
    private static readonly Dictionary<string, string> Keys = new(StringComparer.Ordinal)
    {
        ["storage.files"] = "path",
        ["storage.directories"] = "path",
        ["storage.links"] = "path",
        ["storage.disks"] = "device",
        ["storage.filesystems"] = "device",
        ["storage.raid"] = "name",
        ["storage.luks"] = "name",
        ["systemd.units"] = "name",
        ["systemd.units.dropins"] = "name",
        ["passwd.users"] = "name",
        ["passwd.groups"] = "name",
        ["storage.disks.partitions"] = "number",
    };

    public CompileOutcome Compile(ConfigSourceLanguage language, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return language == ConfigSourceLanguage.Ignition
            ? Validate(source)
            : CompileOutcome.Failed("Butane translation is not available yet (the Ignition language core does not translate Butane in this build). Author the config as Ignition JSON.", line: 1, column: 1);
    }

    public static CompileOutcome Validate(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            return CompileOutcome.Failed($"Invalid JSON: {FirstSentence(ex.Message)}", ex.Path, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1);
        }

        if (node is not JsonObject root)
        {
            return CompileOutcome.Failed("An Ignition config is a JSON object.", "$", 1, 1);
        }

        var locations = JsonLocations.Map(json);
        var problems = new List<ConfigProblem>();
        void Error(string path, string message)
        {
            var at = locations.TryGetValue(path, out var l) ? l : ((int, int)?)null;
            problems.Add(new ConfigProblem(ProblemSeverity.Error, message, path, at?.Item1, at?.Item2));
        }

        var version = root["ignition"]?["version"]?.GetValueKind() == JsonValueKind.String ? root["ignition"]!["version"]!.GetValue<string>() : null;
        if (version is null)
        {
            Error("ignition", "ignition.version is required (3.0.0 to 3.6.0).");
        }
        else if (!Version.TryParse(version, out var v) || !Supported.Contains(v))
        {
            Error("ignition.version", $"Unsupported spec version '{version}': use 3.0.0 to 3.6.0.");
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var list in new[] { "files", "directories", "links" })
        {
            if (root["storage"]?[list] is not JsonArray entries)
            {
                continue;
            }

            for (var i = 0; i < entries.Count; i++)
            {
                var at = $"storage.{list}[{i}]";
                var path = entries[i]?["path"]?.GetValueKind() == JsonValueKind.String ? entries[i]!["path"]!.GetValue<string>() : null;
                if (path is null)
                {
                    Error(at, "path is required.");
                    continue;
                }

                if (!IsCleanAbsolute(path))
                {
                    Error($"{at}.path", $"Path '{path}' must be absolute and clean (no '.', '..', '//' or trailing '/').");
                }
                else if (seen.TryGetValue(path, out var first))
                {
                    Error($"{at}.path", $"Duplicate path '{path}': already used by {first} (files, directories and links share one namespace).");
                }
                else
                {
                    seen[path] = at;
                }

                if (entries[i]?["mode"] is JsonValue mode && (mode.GetValueKind() != JsonValueKind.Number || !mode.TryGetValue<int>(out var m) || m is < 0 or > 4095))
                {
                    Error($"{at}.mode", "mode must be a decimal number between 0 and 4095 (07777); 0644 is 420.");
                }
            }
        }

        if (root["systemd"]?["units"] is JsonArray units)
        {
            for (var i = 0; i < units.Count; i++)
            {
                var name = units[i]?["name"]?.GetValueKind() == JsonValueKind.String ? units[i]!["name"]!.GetValue<string>() : null;
                if (name is null || !UnitName().IsMatch(name))
                {
                    Error($"systemd.units[{i}].name", $"Unit name '{name}' must end in a unit type (.service, .timer, .socket, .mount, .path, .target…).");
                }
            }
        }

        return problems.Count > 0 ? new CompileOutcome(null, problems) : new CompileOutcome(root, problems);
    }

    public (JsonObject Merged, IReadOnlyDictionary<string, string> Origins) MergeLayers(IReadOnlyList<(string Layer, JsonObject Config)> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var merged = new JsonObject();
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        Version? highest = null;
        foreach (var (layer, config) in layers)
        {
            if (VersionOf(config) is { } v && (highest is null || v > highest))
            {
                highest = v;
            }

            MergeObject(merged, config, string.Empty, string.Empty, layer, origins);
        }

        if (highest is not null)
        {
            merged["ignition"] ??= new JsonObject();
            merged["ignition"]!["version"] = highest.ToString(3);
        }

        return (merged, origins);
    }

    private static void MergeObject(JsonObject target, JsonObject source, string schemaPath, string displayPath, string layer, Dictionary<string, string> origins)
    {
        foreach (var (name, value) in source)
        {
            var childPath = schemaPath.Length == 0 ? name : $"{schemaPath}.{name}";
            var childDisplay = displayPath.Length == 0 ? name : $"{displayPath}.{name}";
            if (value is JsonObject obj)
            {
                if (target[name] is not JsonObject existing)
                {
                    existing = new JsonObject();
                    target[name] = existing;
                }

                MergeObject(existing, obj, childPath, childDisplay, layer, origins);
            }
            else if (value is JsonArray array && Keys.TryGetValue(childPath, out var key))
            {
                if (target[name] is not JsonArray existing)
                {
                    existing = [];
                    target[name] = existing;
                }

                foreach (var item in array.OfType<JsonObject>())
                {
                    var id = item[key]?.ToJsonString().Trim('"');
                    var match = existing.OfType<JsonObject>().FirstOrDefault(e => e[key]?.ToJsonString().Trim('"') == id);
                    var entryPath = $"{childDisplay}[{id}]";
                    if (match is null)
                    {
                        match = [];
                        existing.Add(match);
                    }

                    MergeObject(match, item, childPath, entryPath, layer, origins);
                    origins[entryPath] = layer;
                }
            }
            else if (value is JsonArray list && target[name] is JsonArray current)
            {
                foreach (var item in list.Where(i => !current.Any(c => JsonNode.DeepEquals(c, i))))
                {
                    current.Add(item?.DeepClone());
                }
            }
            else
            {
                target[name] = value?.DeepClone();
            }
        }
    }

    public CompileOutcome ConvertTo(JsonObject config, Version target)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(target);
        var version = VersionOf(config);
        if (version is null || !Supported.Contains(target))
        {
            return CompileOutcome.Failed($"Spec {target} is not one this portal serves (3.0.0 to 3.6.0).");
        }

        if (target == version)
        {
            return new CompileOutcome(config, []);
        }

        if (target < version)
        {
            return CompileOutcome.Failed($"The config is spec {version.ToString(3)}; the client accepts up to {target.ToString(3)} and this portal does not down-convert configs.");
        }

        // Every 3.y spec is a superset of 3.x (x < y): raising the version keeps the meaning.
        var copy = (JsonObject)config.DeepClone();
        copy["ignition"]!["version"] = target.ToString(3);
        return new CompileOutcome(copy, []);
    }

    public Version? VersionOf(JsonObject config) =>
        config?["ignition"]?["version"] is JsonValue v && v.TryGetValue<string>(out var s) && Version.TryParse(s, out var parsed) ? parsed : null;

    public Version? RequestedVersion(string? acceptHeader)
    {
        if (string.IsNullOrWhiteSpace(acceptHeader))
        {
            return null;
        }

        Version? best = null;
        foreach (var range in acceptHeader.Split(','))
        {
            var parts = range.Split(';', StringSplitOptions.TrimEntries);
            if (!parts[0].Equals("application/vnd.coreos.ignition+json", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var p in parts.Skip(1))
            {
                if (p.StartsWith("version=", StringComparison.OrdinalIgnoreCase) && Version.TryParse(p["version=".Length..].Trim('"'), out var v) && (best is null || v > best))
                {
                    best = v.Build < 0 ? new Version(v.Major, v.Minor, 0) : v;
                }
            }
        }

        return best;
    }

    private static bool IsCleanAbsolute(string path) =>
        path.StartsWith('/') && (path == "/" || (!path.EndsWith('/') && !path.Contains("//", StringComparison.Ordinal)
            && !path.Split('/').Skip(1).Any(s => s is "." or "..")));

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..(end + 1)];
    }

    [GeneratedRegex(@"^[^/\s]+\.(service|socket|device|mount|automount|swap|target|path|timer|slice|scope)$", RegexOptions.CultureInvariant)]
    private static partial Regex UnitName();
}
