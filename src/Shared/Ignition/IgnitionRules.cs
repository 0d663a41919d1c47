using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fleet.Shared.Ignition;

/// <summary>
/// The checks Ignition itself makes beyond the JSON schema: the version, clean absolute paths, one node per path,
/// unit and dropin names, modes, hashes, URL schemes, and fields newer than the declared spec.
/// </summary>
internal static partial class IgnitionRules
{
    private static readonly string[] UnitSuffixes =
        [".service", ".socket", ".device", ".mount", ".automount", ".swap", ".target", ".path", ".timer", ".snapshot", ".slice", ".scope"];

    /// <summary>Runs the schema and every rule over <paramref name="config"/>, declared as spec <paramref name="version"/>.</summary>
    public static void Check(JsonObject config, Version version, DiagnosticBag bag)
    {
        IgnitionSchema.For(version).Check(config, bag);
        SpecFeatures.FindNewer(config, version, (node, key, since, what) =>
            ReportNewer(bag, node, key, $"{what} need Ignition spec {since} or newer; this config is spec {version}"));
        CheckStorage(config["storage"] as JsonObject, bag);
        CheckSystemd(config["systemd"] as JsonObject, bag);
        CheckPasswd(config["passwd"] as JsonObject, bag);
        CheckResources(config, version, bag);
        CheckDetails(config, version, bag);
    }

    private static void ReportNewer(DiagnosticBag bag, JsonNode node, string? key, string message)
    {
        if (key is not null && node[key] is JsonObject or JsonArray)
        {
            bag.ErrorAtKey(message, node, key);
        }
        else
        {
            bag.Error(message, node, key);
        }
    }

    /// <summary>Reads and checks <c>ignition.version</c>; null (with an error added) when it is missing or unsupported.</summary>
    public static Version? CheckVersion(JsonObject config, DiagnosticBag bag)
    {
        if (config["ignition"] is not JsonObject ignition || ignition["version"] is not JsonValue raw)
        {
            bag.Error("missing ignition.version: every Ignition config names its spec version, e.g. \"3.4.0\"", config["ignition"] ?? config);
            return null;
        }

        if (!raw.TryGetValue(out string? text) || IgnitionSpec.ParseVersion(text) is not { } version)
        {
            bag.Error($"ignition.version {raw.ToJsonString()} is not a version like \"3.4.0\"", ignition, "version");
            return null;
        }

        if (!IgnitionSpec.Supported.Contains(version))
        {
            bag.Error($"unsupported Ignition spec version {text}; supported: {string.Join(", ", IgnitionSpec.Supported)}", ignition, "version");
            return null;
        }

        return version;
    }

    private static void CheckStorage(JsonObject? storage, DiagnosticBag bag)
    {
        if (storage is null)
        {
            return;
        }

        // Files, directories and links share one namespace: Ignition refuses two nodes at the same path.
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        // In document order, so the error lands on the later declaration.
        foreach (var (list, value) in storage.Where(p => p.Key is "files" or "directories" or "links").ToList())
        {
            if (value is not JsonArray nodes)
            {
                continue;
            }

            for (var i = 0; i < nodes.Count; i++)
            {
                if (nodes[i] is not JsonObject node || !TryString(node, "path", out var path))
                {
                    continue;
                }

                CheckPath(node, "path", path, bag);
                var here = $"storage.{list}.{i}";
                if (seen.TryGetValue(path, out var first))
                {
                    bag.Error($"duplicate path {path}: already declared at {first} (files, directories and links share one namespace)", node, "path");
                }
                else
                {
                    seen[path] = bag.Map.Find(node)?.Path ?? here;
                }

                if (JsonInts.TryGet(node["mode"], out var mode) && (mode < 0 || mode > 4095))
                {
                    bag.Error($"mode {mode} (octal {Convert.ToString(Math.Max(mode, 0), 8)}) is out of range: it must be between 0 and 07777", node, "mode");
                }

                if (list == "links" && node["target"] is null)
                {
                    bag.Error("a link needs a target", node);
                }
            }
        }

        if (storage["filesystems"] is JsonArray filesystems)
        {
            foreach (var fs in filesystems.OfType<JsonObject>())
            {
                if (TryString(fs, "path", out var path))
                {
                    CheckPath(fs, "path", path, bag);
                }
            }

            Duplicates(filesystems, "device", "filesystem device", bag);
        }

        Duplicates(storage["disks"] as JsonArray, "device", "disk", bag);
        Duplicates(storage["raid"] as JsonArray, "name", "RAID name", bag);
        Duplicates(storage["luks"] as JsonArray, "name", "LUKS volume name", bag);
    }

    private static void CheckSystemd(JsonObject? systemd, DiagnosticBag bag)
    {
        if (systemd?["units"] is not JsonArray units)
        {
            return;
        }

        Duplicates(units, "name", "unit", bag);
        foreach (var unit in units.OfType<JsonObject>())
        {
            if (TryString(unit, "name", out var name) && !UnitSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal) && name.Length > s.Length))
            {
                bag.Error($"unit name \"{name}\" must end in a unit type suffix ({string.Join(", ", UnitSuffixes)})", unit, "name");
            }

            CheckUnitContents(unit, bag);
            if (unit["enabled"] is JsonValue enabled && enabled.GetValueKind() == System.Text.Json.JsonValueKind.True
                && TryString(unit, "contents", out var contents) && !contents.Contains("[Install]", StringComparison.Ordinal))
            {
                bag.Warning("the unit is enabled but has no [Install] section, so enabling it does nothing", unit, "contents");
            }

            if (unit["dropins"] is JsonArray dropins)
            {
                Duplicates(dropins, "name", "dropin", bag);
                foreach (var dropin in dropins.OfType<JsonObject>())
                {
                    CheckUnitContents(dropin, bag);
                    if (TryString(dropin, "name", out var dropinName) && (!dropinName.EndsWith(".conf", StringComparison.Ordinal) || dropinName.Length == 5))
                    {
                        bag.Error($"dropin name \"{dropinName}\" must end in .conf", dropin, "name");
                    }
                }
            }
        }
    }

    private static void CheckUnitContents(JsonObject unitOrDropin, DiagnosticBag bag)
    {
        if (TryString(unitOrDropin, "contents", out var contents) && UnitSyntax.FirstError(contents) is { } error)
        {
            bag.Error($"invalid unit content: {error}", unitOrDropin, "contents");
        }
    }

    private static void CheckPasswd(JsonObject? passwd, DiagnosticBag bag)
    {
        Duplicates(passwd?["users"] as JsonArray, "name", "user", bag);
        Duplicates(passwd?["groups"] as JsonArray, "name", "group", bag);
    }

    /// <summary>Every resource (an object with a <c>source</c>): scheme, data URL syntax, hash format, compression.</summary>
    private static void CheckResources(JsonNode node, Version version, DiagnosticBag bag)
    {
        switch (node)
        {
            case JsonObject obj:
                if (TryString(obj, "source", out var source))
                {
                    CheckSource(obj, source, version, bag);
                }

                if (obj["verification"] is JsonObject verification && TryString(verification, "hash", out var hash) && !ValidHash(hash))
                {
                    bag.Error("verification hash must be sha512-<128 hex digits> or sha256-<64 hex digits>", verification, "hash");
                }

                if (obj.ContainsKey("source") && TryString(obj, "compression", out var compression) && compression is not ("" or "gzip"))
                {
                    bag.Error($"compression \"{compression}\" is not supported: use \"gzip\" or leave it empty", obj, "compression");
                }

                foreach (var (_, child) in obj)
                {
                    if (child is not null)
                    {
                        CheckResources(child, version, bag);
                    }
                }

                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null)
                    {
                        CheckResources(child, version, bag);
                    }
                }

                break;
        }
    }

    private static void CheckSource(JsonObject resource, string source, Version version, DiagnosticBag bag)
    {
        var scheme = SpecFeatures.Scheme(source);
        if (scheme is null || !Uri.TryCreate(source, UriKind.Absolute, out _) && scheme != "data" && scheme != "arn")
        {
            bag.Error($"source \"{Shorten(source)}\" is not an absolute URL", resource, "source");
            return;
        }

        if (SpecFeatures.SchemeSince(scheme) is null)
        {
            bag.Error($"URL scheme \"{scheme}\" is not supported; spec {version} allows {string.Join(", ", SpecFeatures.SchemesFor(version))}", resource, "source");
        }
        else if (scheme == "data" && !DataUrl.TryDecode(source, out _))
        {
            bag.Error("source is not a valid data: URL (RFC 2397)", resource, "source");
        }
    }

    private static void CheckPath(JsonObject owner, string key, string path, DiagnosticBag bag)
    {
        if (!path.StartsWith('/'))
        {
            bag.Error($"path \"{path}\" must be absolute (start with /)", owner, key);
        }
        else if (CleanPath(path) != path)
        {
            bag.Error($"path \"{path}\" is not clean: write it as \"{CleanPath(path)}\" (no //, /./, /../ or trailing /)", owner, key);
        }
    }

    /// <summary>Go's <c>path.Clean</c> for absolute paths.</summary>
    internal static string CleanPath(string path)
    {
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0 || part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        return "/" + string.Join('/', parts);
    }

    private static void Duplicates(JsonArray? list, string key, string what, DiagnosticBag bag)
    {
        if (list is null)
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.OfType<JsonObject>())
        {
            if (TryString(item, key, out var value) && !seen.Add(value))
            {
                bag.Error($"duplicate {what} \"{value}\"", item, key);
            }
        }
    }

    private static bool ValidHash(string hash) => Sha512().IsMatch(hash) || Sha256().IsMatch(hash);

    internal static bool TryString(JsonObject obj, string key, out string value)
    {
        if (obj[key] is JsonValue v && v.TryGetValue(out string? s))
        {
            value = s;
            return true;
        }

        value = "";
        return false;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";

    [GeneratedRegex("^sha512-[0-9a-fA-F]{128}$")]
    private static partial Regex Sha512();

    [GeneratedRegex("^sha256-[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256();
}
