using System.Text.Json.Nodes;
using YamlDotNet.Core;
using Version = System.Version;
using YamlDotNet.RepresentationModel;

namespace Fleet.Shared.Ignition;

/// <summary>
/// One Butane translation. Field types and known keys come from Fleet's model of the Ignition spec
/// (<see cref="IgnitionSpecShapes"/>; Butane fields are Ignition's in snake_case); the sugar keys Butane adds are
/// handled per named shape.
/// </summary>
internal sealed partial class ButaneTranslation(IFilesDirectory? files)
{
    // Aliases can make a small YAML text expand enormously; refuse beyond this many nodes.
    private const int MaxNodes = 200_000;

    private readonly SourceMap map = new();
    private readonly List<(JsonObject Filesystem, SourceSpan Span)> mountUnits = [];
    private readonly List<(string Local, string? Path, SourceSpan Span)> trees = [];
    private DiagnosticBag bag = null!;
    private IgnitionSchema schema = null!;
    private string variant = "";
    private Version butaneVersion = new();
    private Version ignitionVersion = new();
    private int nodes;

    private sealed class TooManyNodesException : Exception;

    public TranslationResult Run(YamlMappingNode root)
    {
        bag = new DiagnosticBag(map);
        if (!ReadVersion(root))
        {
            return new TranslationResult(null, bag.Items);
        }

        schema = IgnitionSchema.For(ignitionVersion);
        CheckVariantRestrictions(root);
        var config = new JsonObject();
        map.Node(config, Span(root, ""));
        YamlNode? bootDevice = null;
        YamlNode? grub = null;
        try
        {
            var rootShape = schema.Root;
            foreach (var (keyNode, value) in root.Children)
            {
                var key = KeyText(keyNode);
                switch (key)
                {
                    case "variant" or "version":
                        continue;
                    case "boot_device" when variant == "fcos":
                        bootDevice = value;
                        continue;
                    case "grub" when variant == "fcos":
                        grub = value;
                        continue;
                }

                AddField(config, rootShape, keyNode, key, value, "");
            }

            AddMountUnits(ref config);
            AddTrees(config);
            if (bootDevice is not null)
            {
                AddBootDevice(ref config, bootDevice);
            }

            if (grub is not null)
            {
                AddGrubUsers(ref config, grub);
            }
        }
        catch (TooManyNodesException)
        {
            bag.Add(new ConfigDiagnostic(DiagnosticSeverity.Error, $"the config expands to more than {MaxNodes:N0} YAML nodes (aliases?)", null, 1, 1));
            return new TranslationResult(null, bag.Items);
        }

        IgnitionMerge.SetVersion(config, ignitionVersion);
        IgnitionRules.Check(config, ignitionVersion, bag);

        // Butane authors think in Butane versions: say which one maps to the spec that lacks a field.
        var specNote = $"this config is spec {ignitionVersion}";
        var butaneNote = $"this config is {variant} {butaneVersion} (Ignition spec {ignitionVersion})";
        var diagnostics = bag.Items.Select(d => d with { Message = d.Message.Replace(specNote, butaneNote, StringComparison.Ordinal) }).ToList();
        return new TranslationResult(config, diagnostics);
    }

    private bool ReadVersion(YamlMappingNode root)
    {
        var variantNode = Child(root, "variant");
        var versionNode = Child(root, "version");
        if (variantNode is not YamlScalarNode { Value: { Length: > 0 } variantText })
        {
            Error("missing variant: write e.g. \"variant: fcos\" (supported: fcos, fiot)", variantNode ?? root, variantNode is null ? "" : "variant");
            return false;
        }

        if (versionNode is not YamlScalarNode { Value: { Length: > 0 } versionText })
        {
            Error("missing version: write e.g. \"version: 1.6.0\"", versionNode ?? root, versionNode is null ? "" : "version");
            return false;
        }

        var known = ButaneTranslator.SupportedVersions.Where(v => v.Variant == variantText).ToList();
        if (known.Count == 0)
        {
            Error($"unsupported variant \"{variantText}\" (supported: fcos, fiot)", variantNode, "variant");
            return false;
        }

        var parsed = IgnitionSpec.ParseVersion(versionText);
        var match = known.FirstOrDefault(v => v.Butane == parsed);
        if (parsed is null || match.Variant is null)
        {
            Error($"unsupported {variantText} version \"{versionText}\" (supported: {string.Join(", ", known.Select(v => v.Butane))})", versionNode, "version");
            return false;
        }

        variant = variantText;
        butaneVersion = match.Butane;
        ignitionVersion = match.Ignition;
        return true;
    }

    private void CheckVariantRestrictions(YamlMappingNode root)
    {
        if (variant != "fiot")
        {
            return;
        }

        // Upstream config/fiot/v1_0 filters these: Fedora IoT does not support them.
        foreach (var key in new[] { "kernel_arguments", "boot_device", "grub" })
        {
            if (ChildKey(root, key) is { } node)
            {
                Error($"{key} is not supported by variant fiot", node, key);
            }
        }

        if (Child(root, "storage") is YamlMappingNode storage)
        {
            foreach (var key in new[] { "disks", "filesystems", "luks", "raid" })
            {
                if (ChildKey(storage, key) is { } node)
                {
                    Error($"storage.{key} is not supported by variant fiot", node, "storage." + key);
                }
            }
        }
    }

    /// <summary>Converts one YAML field into <paramref name="obj"/> using the schema, or warns that it is unknown.</summary>
    private void AddField(
        JsonObject obj, IgnitionShape owner, YamlNode keyNode, string key, YamlNode value, string ownerPath)
    {
        var path = JsonPaths.Join(ownerPath, key);
        var camel = ToCamel(key);
        if (IsSnake(key) && owner.Properties.TryGetValue(camel, out var property) && !(owner.Name == "ignition" && key == "version")
            && !(variant == "fiot" && IsFiotFiltered(path)))
        {
            var converted = Convert(value, property, path);
            map.Key(obj, camel, Span(keyNode, path));
            if (converted is not null)
            {
                obj[camel] = converted;
            }
        }
        else if (!(variant == "fiot" && IsFiotFiltered(path)))
        {
            bag.Add(new ConfigDiagnostic(DiagnosticSeverity.Warning, $"unknown key \"{key}\" (ignored)", path, Line(keyNode), Column(keyNode)));
        }
    }

    private static bool IsFiotFiltered(string path) =>
        path is "kernel_arguments" or "storage.disks" or "storage.filesystems" or "storage.luks" or "storage.raid";

    private JsonNode? Convert(YamlNode node, IgnitionShape s, string path)
    {
        if (++nodes > MaxNodes)
        {
            throw new TooManyNodesException();
        }

        if (IsNull(node))
        {
            return null;
        }

        var span = Span(node, path);
        JsonNode? result;
        if (s.Kind == JsonKind.Object)
        {
            if (node is not YamlMappingNode mapping)
            {
                Error("expected a mapping (key: value lines)", node, path);
                return null;
            }

            var obj = new JsonObject();
            map.Node(obj, span);
            var sugar = new Dictionary<string, (YamlNode Key, YamlNode Value)>(StringComparer.Ordinal);
            foreach (var (keyNode, value) in mapping.Children)
            {
                var key = KeyText(keyNode);
                if (SugarKeys(s.Name).Contains(key))
                {
                    sugar[key] = (keyNode, value);
                }
                else
                {
                    AddField(obj, s, keyNode, key, value, path);
                }
            }

            ApplySugar(s.Name, obj, sugar, path);
            return obj;
        }

        if (s.Kind == JsonKind.Array)
        {
            if (node is not YamlSequenceNode sequence)
            {
                Error("expected a list (- item lines)", node, path);
                return null;
            }

            var array = new JsonArray();
            map.Node(array, span);
            var index = 0;
            foreach (var item in sequence.Children)
            {
                if (s.Items is not null && Convert(item, s.Items, JsonPaths.Join(path, index)) is { } converted)
                {
                    array.Add(converted);
                }

                index++;
            }

            return array;
        }

        if (node is not YamlScalarNode scalar)
        {
            Error($"expected a single value ({s.KindName})", node, path);
            return null;
        }

        var text = scalar.Value ?? "";
        var plain = scalar.Style is ScalarStyle.Plain or ScalarStyle.Any;
        if (s.Kind == JsonKind.Integer)
        {
            long number = 0;
            result = plain && TryParseInteger(text, out number) ? JsonValue.Create(number) : null;
            if (result is null)
            {
                Error($"expected an integer, got \"{text}\"", node, path);
                return null;
            }

            if (path.EndsWith(".mode", StringComparison.Ordinal) && LooksLikeOctalWrittenAsDecimal(text, number))
            {
                Warning($"mode {text} is read as decimal (octal {System.Convert.ToString(number, 8)}); write 0{text} for octal", node, path);
            }
        }
        else if (s.Kind == JsonKind.Boolean)
        {
            result = plain && TryParseBoolean(text, out var flag) ? JsonValue.Create(flag) : null;
            if (result is null)
            {
                Error($"expected true or false, got \"{text}\"", node, path);
                return null;
            }
        }
        else
        {
            result = JsonValue.Create(text);
        }

        map.Node(result, span);
        return result;
    }

    private static string[] SugarKeys(string? definition) => definition switch
    {
        "resource" => ["inline", "local"],
        "storage" => ["trees"],
        "filesystem" => ["with_mount_unit"],
        "user" => ["ssh_authorized_keys_local"],
        "unit" or "dropin" => ["contents_local"],
        _ => [],
    };
}
