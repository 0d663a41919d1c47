using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>One schema node with its <c>$ref</c> and <c>allOf</c> resolved.</summary>
internal sealed record ResolvedSchema(
    string? Name,
    IReadOnlySet<string> Types,
    IReadOnlyDictionary<string, JsonObject> Properties,
    JsonObject? Items,
    IReadOnlyList<string> Required,
    JsonArray? Enum);

/// <summary>
/// The upstream Ignition JSON schemas (3.4, 3.5, 3.6; embedded from <c>shared/interop</c>) and a checker for the
/// subset of Draft 4 they use: type, properties, items, enum, required, allOf and <c>$ref</c> to definitions.
/// Keys the schema does not know are warnings: Ignition ignores them, but they are usually typos.
/// </summary>
internal sealed class IgnitionSchema
{
    private static readonly Lazy<IgnitionSchema> V34 = new(() => Load("v3_4"));
    private static readonly Lazy<IgnitionSchema> V35 = new(() => Load("v3_5"));
    private static readonly Lazy<IgnitionSchema> V36 = new(() => Load("v3_6"));

    private readonly JsonObject document;
    private readonly Dictionary<JsonObject, ResolvedSchema> resolved = new(ReferenceEqualityComparer.Instance);
    private readonly Lock gate = new();

    private IgnitionSchema(JsonObject document) => this.document = document;

    /// <summary>The schema used for a spec: 3.4's for 3.0–3.4 (older specs are a subset, see <see cref="SpecFeatures"/>).</summary>
    public static IgnitionSchema For(Version version) =>
        version >= new Version(3, 6, 0) ? V36.Value : version >= new Version(3, 5, 0) ? V35.Value : V34.Value;

    public JsonObject Document => document;

    /// <summary>The schema node at a <c>#/definitions/...</c> pointer.</summary>
    public JsonObject Definition(string pointer) => Navigate(pointer);

    public ResolvedSchema Resolve(JsonObject schema)
    {
        lock (gate)
        {
            return ResolveLocked(schema);
        }
    }

    /// <summary>Checks <paramref name="node"/> (the value of <paramref name="key"/> in <paramref name="owner"/>) against <paramref name="schema"/>.</summary>
    public void Check(JsonNode? node, JsonObject schema, JsonNode? owner, string? key, DiagnosticBag bag)
    {
        var s = Resolve(schema);
        var actual = TypeOf(node);
        if (s.Types.Count > 0 && !s.Types.Contains(actual) && !(actual == "integer" && s.Types.Contains("number")))
        {
            var expected = string.Join(" or ", s.Types.Where(t => t != "null"));
            bag.Error($"must be {Article(expected)}{expected}, not {Article(actual)}{actual}", node ?? owner, node is null ? key : null);
            return;
        }

        if (s.Enum is { } allowed && node is JsonValue && !allowed.Any(a => JsonNode.DeepEquals(a, node)))
        {
            bag.Error($"must be one of {string.Join(", ", allowed.Select(a => a?.ToJsonString()))}", node);
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var required in s.Required)
                {
                    if (obj[required] is null)
                    {
                        bag.Error($"missing required key \"{required}\"", obj);
                    }
                }

                foreach (var (name, value) in obj.ToList())
                {
                    if (s.Properties.TryGetValue(name, out var property))
                    {
                        Check(value, property, obj, name, bag);
                    }
                    else
                    {
                        bag.UnknownKey(obj, name);
                    }
                }

                break;
            case JsonArray array when s.Items is { } itemSchema:
                var items = array.ToList();
                for (var i = 0; i < items.Count; i++)
                {
                    Check(items[i], itemSchema, array, i.ToString(System.Globalization.CultureInfo.InvariantCulture), bag);
                }

                break;
        }
    }

    public static string TypeOf(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => JsonInts.TryGet(value, out _) ? "integer" : "number",
            _ => "null",
        },
        _ => "null",
    };

    private static string Article(string word) => word.Length > 0 && "aeiou".Contains(word[0], StringComparison.Ordinal) ? "an " : "a ";

    private ResolvedSchema ResolveLocked(JsonObject schema)
    {
        if (resolved.TryGetValue(schema, out var done))
        {
            return done;
        }

        string? name = null;
        var current = schema;
        for (var hops = 0; current["$ref"] is JsonValue reference && hops < 16; hops++)
        {
            var pointer = reference.GetValue<string>();
            name = pointer[(pointer.LastIndexOf('/') + 1)..];
            current = Navigate(pointer);
        }

        var types = new HashSet<string>(StringComparer.Ordinal);
        switch (current["type"])
        {
            case JsonValue single:
                types.Add(single.GetValue<string>());
                break;
            case JsonArray several:
                types.UnionWith(several.Select(t => t!.GetValue<string>()));
                break;
        }

        var properties = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var required = new List<string>();
        if (current["properties"] is JsonObject props)
        {
            foreach (var (key, value) in props)
            {
                properties[key] = (JsonObject)value!;
            }
        }

        if (current["required"] is JsonArray req)
        {
            required.AddRange(req.Select(r => r!.GetValue<string>()));
        }

        if (current["allOf"] is JsonArray parts)
        {
            foreach (var part in parts.OfType<JsonObject>())
            {
                var member = ResolveLocked(part);
                types.UnionWith(member.Types);
                foreach (var (key, value) in member.Properties)
                {
                    properties[key] = value;
                }

                required.AddRange(member.Required);
            }
        }

        var result = new ResolvedSchema(name, types, properties, current["items"] as JsonObject, required, current["enum"] as JsonArray);
        resolved[schema] = result;
        return result;
    }

    private JsonObject Navigate(string pointer)
    {
        JsonNode node = document;
        foreach (var segment in pointer.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            node = node[segment] ?? throw new InvalidOperationException($"Schema reference {pointer} does not resolve.");
        }

        return (JsonObject)node;
    }

    private static IgnitionSchema Load(string name)
    {
        using var stream = typeof(IgnitionSchema).Assembly.GetManifestResourceStream($"Fleet.Shared.Ignition.Schemas.{name}.json")
            ?? throw new InvalidOperationException($"Embedded Ignition schema {name} is missing.");
        return new IgnitionSchema(JsonNode.Parse(stream)!.AsObject());
    }
}
