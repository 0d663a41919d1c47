using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>
/// What a config of one Ignition spec may contain (<see cref="IgnitionSpecShapes"/>), and the check of a config
/// against it: JSON kinds, required fields and known keys. Keys the spec does not know are warnings: Ignition
/// ignores them, but they are usually typos.
/// </summary>
internal sealed class IgnitionSchema
{
    private static readonly IgnitionSchema V34 = new(new Version(3, 4, 0));
    private static readonly IgnitionSchema V35 = new(new Version(3, 5, 0));
    private static readonly IgnitionSchema V36 = new(new Version(3, 6, 0));

    private readonly IReadOnlyDictionary<string, IgnitionShape> named;

    private IgnitionSchema(Version spec)
    {
        Spec = spec;
        (Root, named) = IgnitionSpecShapes.Build(spec);
    }

    /// <summary>The spec this schema describes (3.4, 3.5 or 3.6).</summary>
    public Version Spec { get; }

    /// <summary>The shape of a whole config.</summary>
    public IgnitionShape Root { get; }

    /// <summary>
    /// The schema for a spec: 3.4's for 3.0–3.4 (older specs are a subset, see <see cref="SpecFeatures"/>).
    /// </summary>
    public static IgnitionSchema For(Version version) =>
        version >= V36.Spec ? V36 : version >= V35.Spec ? V35 : V34;

    /// <summary>A shape by the spec's name for it ("clevis", "cex").</summary>
    public IgnitionShape Definition(string name) =>
        named.TryGetValue(name, out var shape)
            ? shape
            : throw new InvalidOperationException($"no Ignition shape named {name} in spec {Spec}");

    /// <summary>Checks a whole config.</summary>
    public void Check(JsonObject config, DiagnosticBag bag) => Check(config, Root, null, null, bag);

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

    /// <summary>Checks <paramref name="node"/>, the value of <paramref name="key"/> in its owner.</summary>
    private static void Check(JsonNode? node, IgnitionShape shape, JsonNode? owner, string? key, DiagnosticBag bag)
    {
        var actual = TypeOf(node);
        if (actual != shape.KindName && !(node is null && shape.Nullable))
        {
            var expected = shape.KindName;
            var message = $"must be {Article(expected)}{expected}, not {Article(actual)}{actual}";
            bag.Error(message, node ?? owner, node is null ? key : null);
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var required in shape.Required)
                {
                    if (obj[required] is null)
                    {
                        bag.Error($"missing required key \"{required}\"", obj);
                    }
                }

                foreach (var (name, value) in obj.ToList())
                {
                    if (shape.Properties.TryGetValue(name, out var property))
                    {
                        Check(value, property, obj, name, bag);
                    }
                    else
                    {
                        bag.UnknownKey(obj, name);
                    }
                }

                break;
            case JsonArray array when shape.Items is { } itemShape:
                var items = array.ToList();
                for (var i = 0; i < items.Count; i++)
                {
                    Check(items[i], itemShape, array, i.ToString(CultureInfo.InvariantCulture), bag);
                }

                break;
        }
    }

    private static string Article(string word) =>
        word.Length > 0 && "aeiou".Contains(word[0], StringComparison.Ordinal) ? "an " : "a ";
}
