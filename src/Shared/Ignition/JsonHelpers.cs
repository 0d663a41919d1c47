using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>Dotted field paths (<c>storage.files.2.mode</c>) for JSON nodes.</summary>
internal static class JsonPaths
{
    public static string Dotted(JsonNode? node, string? key = null)
    {
        var parts = new List<string>();
        if (key is not null)
        {
            parts.Add(key);
        }

        for (var current = node; current?.Parent is { } parent; current = parent)
        {
            parts.Add(parent is JsonArray array ? IndexOf(array, current).ToString(System.Globalization.CultureInfo.InvariantCulture) : current.GetPropertyName());
        }

        parts.Reverse();
        return string.Join('.', parts);
    }

    public static string Join(string prefix, string segment) => prefix.Length == 0 ? segment : prefix + "." + segment;

    public static string Join(string prefix, int index) => Join(prefix, index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static int IndexOf(JsonArray array, JsonNode node)
    {
        for (var i = 0; i < array.Count; i++)
        {
            if (ReferenceEquals(array[i], node))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>Trim-safe helpers for building JSON trees.</summary>
internal static class JsonArrayExtensions
{
    /// <summary>Adds a node through the non-generic overload (the generic <c>Add&lt;T&gt;</c> is not trim-safe).</summary>
    public static void Push(this JsonArray array, JsonNode? node) => array.Add(node);
}

/// <summary>Integers from JSON nodes whatever CLR type backs them (int, long, double, JsonElement).</summary>
internal static class JsonInts
{
    public static bool TryGet(JsonNode? node, out long value)
    {
        value = 0;
        return node is JsonValue v && v.GetValueKind() == System.Text.Json.JsonValueKind.Number
            && long.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value);
    }
}
