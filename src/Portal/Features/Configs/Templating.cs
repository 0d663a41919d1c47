using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fleet.Portal.Features.Configs;

/// <summary>What a device offers to <c>{{…}}</c> templates.</summary>
public sealed record TemplateContext(
    Guid DeviceId,
    string Hostname,
    string PrimaryMac,
    IReadOnlyList<string> Macs,
    string MachineId,
    string Group,
    IReadOnlyDictionary<string, (string Value, bool Secret)> Variables);

/// <summary>How secret variables are rendered.</summary>
public enum SecretMode
{
    /// <summary>The decrypted value: only for approved devices fetching over a trusted URL.</summary>
    Reveal,

    /// <summary>Left out (empty), for devices that may not have secrets.</summary>
    Omit,

    /// <summary>A visible placeholder, for previews in the portal.</summary>
    Mask,
}

/// <summary>
/// <c>{{device.hostname}}</c>, <c>{{device.id}}</c>, <c>{{device.mac}}</c>, <c>{{device.macs}}</c>,
/// <c>{{device.machineId}}</c>, <c>{{device.group}}</c>, <c>{{device.labels.X}}</c> (device variable
/// <c>labels.X</c>) and <c>{{vars.X}}</c>. Expanded in every string of the compiled Ignition, including
/// inside <c>data:</c> URLs (decoded, gzip included, and re-encoded).
/// </summary>
public static partial class Templating
{
    public const string Mask = "••••••";

    private static readonly HashSet<string> DeviceFields = new(StringComparer.Ordinal)
    {
        "device.hostname", "device.id", "device.mac", "device.macs", "device.machineId", "device.group",
    };

    /// <summary>Template references in a source that can never resolve, located by line and column.</summary>
    public static IReadOnlyList<ConfigProblem> Check(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var problems = new List<ConfigProblem>();
        foreach (Match m in Reference().Matches(source))
        {
            var name = m.Groups["name"].Value;
            if (DeviceFields.Contains(name) || IsVariable(name, "vars.") || IsVariable(name, "device.labels."))
            {
                continue;
            }

            var (line, column) = LineColumn(source, m.Index);
            problems.Add(new ConfigProblem(ProblemSeverity.Error,
                $"Unknown template variable '{{{{{name}}}}}': use device.hostname, device.id, device.mac, device.macs, device.machineId, device.group, device.labels.NAME or vars.NAME.",
                null, line, column));
        }

        return problems;
    }

    /// <summary>Names of the <c>vars.X</c> a source uses.</summary>
    public static IReadOnlySet<string> VariablesUsed(string text) =>
        Reference().Matches(text ?? string.Empty).Select(m => m.Groups["name"].Value).Where(n => n.StartsWith("vars.", StringComparison.Ordinal))
            .Select(n => n["vars.".Length..]).ToHashSet(StringComparer.Ordinal);

    /// <summary>Expands every reference in <paramref name="config"/> in place; returns the references that did not resolve.</summary>
    public static IReadOnlyList<string> Expand(JsonObject config, TemplateContext context, SecretMode secrets)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(context);
        var missing = new List<string>();
        Walk(config, context, secrets, missing);
        return missing;
    }

    private static void Walk(JsonNode node, TemplateContext context, SecretMode secrets, List<string> missing)
    {
        if (node is JsonObject obj)
        {
            foreach (var (name, value) in obj.ToList())
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var text) && text.Contains("{{", StringComparison.Ordinal)
                    || value is JsonValue v2 && name == "source" && v2.TryGetValue<string>(out var src) && src.StartsWith("data:", StringComparison.Ordinal))
                {
                    ExpandValue(obj, name, context, secrets, missing);
                }
                else if (value is not null)
                {
                    Walk(value, context, secrets, missing);
                }
            }
        }
        else if (node is JsonArray array)
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is JsonValue v && v.TryGetValue<string>(out var text) && text.Contains("{{", StringComparison.Ordinal))
                {
                    array[i] = Substitute(text, context, secrets, missing);
                }
                else if (array[i] is { } child)
                {
                    Walk(child, context, secrets, missing);
                }
            }
        }
    }

    private static void ExpandValue(JsonObject owner, string name, TemplateContext context, SecretMode secrets, List<string> missing)
    {
        var text = owner[name]!.GetValue<string>();
        if (name != "source" || !text.StartsWith("data:", StringComparison.Ordinal))
        {
            owner[name] = Substitute(text, context, secrets, missing);
            return;
        }

        var gzip = owner["compression"] is JsonValue c && c.TryGetValue<string>(out var comp) && comp == "gzip";
        if (!TryDecodeDataUrl(text, gzip, out var content) || !content.Contains("{{", StringComparison.Ordinal))
        {
            return;
        }

        owner[name] = "data:," + Uri.EscapeDataString(Substitute(content, context, secrets, missing));
        owner.Remove("compression");
        owner.Remove("verification");   // the hash was of the template, not of what the device gets
    }

    private static string Substitute(string text, TemplateContext context, SecretMode secrets, List<string> missing)
    {
        return Reference().Replace(text, m =>
        {
            var name = m.Groups["name"].Value;
            var value = name switch
            {
                "device.hostname" => context.Hostname,
                "device.id" => context.DeviceId.ToString("N"),
                "device.mac" => context.PrimaryMac,
                "device.macs" => string.Join(',', context.Macs),
                "device.machineId" => context.MachineId,
                "device.group" => context.Group,
                _ when name.StartsWith("device.labels.", StringComparison.Ordinal) => Variable("labels." + name["device.labels.".Length..]),
                _ when name.StartsWith("vars.", StringComparison.Ordinal) => Variable(name["vars.".Length..]),
                _ => null,
            };
            if (value is null)
            {
                missing.Add(name);
                return m.Value;
            }

            return value;
        });

        string? Variable(string name) => !context.Variables.TryGetValue(name, out var v) ? null
            : !v.Secret ? v.Value
            : secrets switch
            {
                SecretMode.Reveal => v.Value,
                SecretMode.Mask => Mask,
                _ => string.Empty,
            };
    }

    public static bool TryDecodeDataUrl(string url, bool gzip, out string content)
    {
        content = string.Empty;
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (!url.StartsWith("data:", StringComparison.Ordinal) || comma < 0)
        {
            return false;
        }

        try
        {
            var meta = url[5..comma];
            var data = url[(comma + 1)..];
            var bytes = meta.EndsWith(";base64", StringComparison.Ordinal) ? Convert.FromBase64String(data) : Encoding.UTF8.GetBytes(Uri.UnescapeDataString(data));

            if (gzip)
            {
                using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                using var output = new MemoryStream();
                input.CopyTo(output);
                bytes = output.ToArray();
            }

            content = Encoding.UTF8.GetString(bytes);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException)
        {
            return false;
        }
    }

    internal static (int Line, int Column) LineColumn(string text, int index)
    {
        var line = 1;
        var start = 0;
        for (var i = 0; i < index && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                start = i + 1;
            }
        }

        return (line, index - start + 1);
    }

    private static bool IsVariable(string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) && SimpleName().IsMatch(name[prefix.Length..]);

    [GeneratedRegex(@"\{\{\s*(?<name>[A-Za-z0-9_.\-]+)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();

    /// <summary>A variable name: a letter or '_' then letters, digits, '_', '-'; labels are variables named <c>labels.NAME</c>.</summary>
    [GeneratedRegex(@"^(labels\.)?[A-Za-z_][A-Za-z0-9_\-]{0,55}$", RegexOptions.CultureInvariant)]
    internal static partial Regex VariableName();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_\-]{0,55}$", RegexOptions.CultureInvariant)]
    private static partial Regex SimpleName();
}
