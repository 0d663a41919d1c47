namespace Fleet.Shared.Ignition;

/// <summary>The JSON kinds an Ignition config value can have.</summary>
internal enum JsonKind
{
    Object,
    Array,
    String,
    Integer,
    Boolean,
}

/// <summary>
/// What one value in an Ignition config may be: its JSON kind and whether it may be null (an optional scalar;
/// Ignition reads null as absent); for an object its fields and the required ones; for an array the shape of its
/// items. <see cref="Name"/> is the spec's name for the shape where it has one ("resource", "file", "user"):
/// Butane's sugar keys hang off it.
/// </summary>
internal sealed record IgnitionShape(
    string? Name,
    JsonKind Kind,
    bool Nullable,
    IReadOnlyDictionary<string, IgnitionShape> Properties,
    IReadOnlyList<string> Required,
    IgnitionShape? Items)
{
    private static readonly Dictionary<string, IgnitionShape> NoFields = [];

    /// <summary>The kind as JSON Schema and the diagnostics spell it: "object", "integer", ...</summary>
    public string KindName => Kind.ToString().ToLowerInvariant();

    public static IgnitionShape Scalar(JsonKind kind, bool nullable) => new(null, kind, nullable, NoFields, [], null);

    public static IgnitionShape Object(string? name, IEnumerable<IgnitionField> fields)
    {
        var list = fields.ToList();
        var properties = list.ToDictionary(f => f.Name, f => f.Shape, StringComparer.Ordinal);
        var required = list.Where(f => f.Required).Select(f => f.Name).ToList();
        return new(name, JsonKind.Object, false, properties, required, null);
    }

    public static IgnitionShape Array(IgnitionShape items) => new(null, JsonKind.Array, false, NoFields, [], items);

    /// <summary>The same shape under the spec's name for it.</summary>
    public IgnitionShape Named(string name) => this with { Name = name };
}

/// <summary>One field of an object shape; <see cref="Since"/> is the spec that added it, when newer than 3.4.</summary>
internal sealed record IgnitionField(string Name, IgnitionShape Shape, bool Required = false, Version? Since = null);
