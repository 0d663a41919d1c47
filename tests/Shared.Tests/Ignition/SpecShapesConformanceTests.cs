using System.Text.Json.Nodes;
using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

/// <summary>
/// Fleet's model of the Ignition spec (<see cref="IgnitionSpecShapes"/>) describes the same configs as the upstream
/// JSON schema of each spec version it supports: every field path, its JSON types, the required fields and the
/// spec's names for shapes. The schemas are read in place from the shared interop data; skipped without it.
/// </summary>
public sealed class SpecShapesConformanceTests
{
    // The schema keywords the model expresses; any other (enum, pattern, additionalProperties...) is a difference.
    private static readonly HashSet<string> Expressed =
        ["$schema", "title", "type", "properties", "required", "items", "allOf", "$ref", "definitions"];

    [Theory]
    [InlineData("3.4.0", "ignition-schema-v3_4.json")]
    [InlineData("3.5.0", "ignition-schema-v3_5.json")]
    [InlineData("3.6.0", "ignition-schema.json")]
    public void Build_UpstreamSchema_DescribesTheSameConfigs(string spec, string upstreamFile)
    {
        var document = JsonNode.Parse(File.ReadAllText(Fleet.Tests.SharedInterop.PathOf(upstreamFile)))!.AsObject();
        var schema = IgnitionSchema.For(Version.Parse(spec));
        var upstream = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
        var problems = new List<string>();
        WalkUpstream(document, document, "", upstream, problems);
        var fleet = new SortedDictionary<string, Entry>(StringComparer.Ordinal);
        WalkModel(schema.Root, "", fleet);

        foreach (var path in upstream.Keys.Union(fleet.Keys).Order(StringComparer.Ordinal))
        {
            var shown = Shown(path);
            switch ((upstream.GetValueOrDefault(path), fleet.GetValueOrDefault(path)))
            {
                case (null, _):
                    problems.Add($"{shown}: in Fleet's model, not in the upstream schema");
                    break;
                case (_, null):
                    problems.Add($"{shown}: in the upstream schema ({upstream[path]}), not in Fleet's model");
                    break;
                case var (theirs, ours) when theirs != ours:
                    problems.Add($"{shown}: upstream {theirs}, Fleet {ours}");
                    break;
            }
        }

        Assert.Equal(Version.Parse(spec), schema.Spec);
        Assert.True(problems.Count == 0, $"spec {spec} differs from {upstreamFile}:\n" + string.Join("\n", problems));
    }

    private sealed record Entry(string? Name, string Types, string Required)
    {
        public override string ToString() => $"name {Name ?? "-"}, types {Types}, required [{Required}]";
    }

    private static void WalkModel(IgnitionShape shape, string path, SortedDictionary<string, Entry> into)
    {
        string[] types = shape.Nullable ? [shape.KindName, "null"] : [shape.KindName];
        into[path] = new Entry(shape.Name, Joined(types), Joined(shape.Required));
        foreach (var (key, property) in shape.Properties)
        {
            WalkModel(property, Child(path, key), into);
        }

        if (shape.Items is { } items)
        {
            WalkModel(items, Child(path, "*"), into);
        }
    }

    private static void WalkUpstream(
        JsonObject document,
        JsonObject schema,
        string path,
        SortedDictionary<string, Entry> into,
        List<string> problems)
    {
        var (name, current) = Follow(document, schema);
        var types = new List<string>();
        var properties = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var required = new List<string>();
        JsonObject? items = null;
        var parts = (current["allOf"] as JsonArray ?? []).OfType<JsonObject>().Prepend(current);
        foreach (var part in parts)
        {
            var (_, member) = Follow(document, part);
            foreach (var (keyword, _) in member.Where(k => !Expressed.Contains(k.Key)))
            {
                problems.Add($"{Shown(path)}: upstream uses \"{keyword}\", which Fleet's model does not express");
            }

            types.AddRange(member["type"] switch
            {
                JsonValue one => [one.GetValue<string>()],
                JsonArray several => several.Select(t => t!.GetValue<string>()),
                _ => [],
            });
            foreach (var (key, value) in member["properties"] as JsonObject ?? [])
            {
                properties[key] = value!.AsObject();
            }

            required.AddRange((member["required"] as JsonArray ?? []).Select(r => r!.GetValue<string>()));
            items ??= member["items"] as JsonObject;
        }

        into[path] = new Entry(name, Joined(types.Distinct()), Joined(required));
        foreach (var (key, property) in properties)
        {
            WalkUpstream(document, property, Child(path, key), into, problems);
        }

        if (items is not null)
        {
            WalkUpstream(document, items, Child(path, "*"), into, problems);
        }
    }

    /// <summary>Follows <c>$ref</c>s; the name is the last definition reached, as the spec names the shape.</summary>
    private static (string? Name, JsonObject Schema) Follow(JsonObject document, JsonObject schema)
    {
        string? name = null;
        while (schema["$ref"] is JsonValue reference)
        {
            var pointer = reference.GetValue<string>();
            name = pointer[(pointer.LastIndexOf('/') + 1)..];
            JsonNode node = document;
            foreach (var segment in pointer.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                node = node[segment] ?? throw new InvalidOperationException($"{pointer} does not resolve");
            }

            schema = node.AsObject();
        }

        return (name, schema);
    }

    private static string Joined(IEnumerable<string> values) => string.Join("|", values.Order(StringComparer.Ordinal));

    private static string Shown(string path) => path.Length == 0 ? "(root)" : path;

    private static string Child(string path, string key) => path.Length == 0 ? key : path + "." + key;
}
