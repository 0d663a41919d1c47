using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>Where a node came from: the field path as the author wrote it and its 1-based line/column.</summary>
internal readonly record struct SourceSpan(string Path, int Line, int Column);

/// <summary>
/// Ties nodes of a produced Ignition tree back to the text the person typed (YAML or JSON), so every
/// diagnostic can name a line, a column and the author's field path. Nodes are tracked by reference.
/// </summary>
internal sealed class SourceMap
{
    private readonly Dictionary<JsonNode, SourceSpan> nodes = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<(JsonObject Owner, string Key), SourceSpan> keys = [];

    public void Node(JsonNode? node, SourceSpan span)
    {
        if (node is not null)
        {
            nodes[node] = span;
        }
    }

    public void Key(JsonObject owner, string key, SourceSpan span) => keys[(owner, key)] = span;

    /// <summary>The span of <paramref name="key"/> in <paramref name="owner"/>, else of the nearest located ancestor.</summary>
    public SourceSpan? Find(JsonNode? owner, string? key = null)
    {
        if (key is not null && owner is JsonObject obj)
        {
            if (obj[key] is { } value && nodes.TryGetValue(value, out var valueSpan))
            {
                return valueSpan;
            }

            if (keys.TryGetValue((obj, key), out var keySpan))
            {
                return keySpan;
            }
        }

        for (var node = owner; node is not null; node = node.Parent)
        {
            if (nodes.TryGetValue(node, out var span))
            {
                return span;
            }
        }

        return null;
    }

    /// <summary>The span of the key itself (for unknown-key warnings), falling back to <see cref="Find"/>.</summary>
    public SourceSpan? FindKey(JsonObject owner, string key) =>
        keys.TryGetValue((owner, key), out var span) ? span : Find(owner, key);
}

/// <summary>Collects diagnostics about an Ignition tree, locating them through a <see cref="SourceMap"/>.</summary>
internal sealed class DiagnosticBag(SourceMap map)
{
    public List<ConfigDiagnostic> Items { get; } = [];

    public SourceMap Map => map;

    public bool HasErrors => Items.Exists(d => d.Severity == DiagnosticSeverity.Error);

    public void Error(string message, JsonNode? owner, string? key = null) => Add(DiagnosticSeverity.Error, message, owner, key, keyOnly: false);

    /// <summary>An error located at the key itself (e.g. a field the declared spec does not have).</summary>
    public void ErrorAtKey(string message, JsonNode owner, string key) => Add(DiagnosticSeverity.Error, message, owner, key, keyOnly: true);

    public void Warning(string message, JsonNode? owner, string? key = null) => Add(DiagnosticSeverity.Warning, message, owner, key, keyOnly: false);

    public void UnknownKey(JsonObject owner, string key) =>
        Add(DiagnosticSeverity.Warning, $"unknown key \"{key}\" (ignored)", owner, key, keyOnly: true);

    public void Add(ConfigDiagnostic diagnostic) => Items.Add(diagnostic);

    private void Add(DiagnosticSeverity severity, string message, JsonNode? owner, string? key, bool keyOnly)
    {
        var span = keyOnly && owner is JsonObject obj && key is not null ? map.FindKey(obj, key) : map.Find(owner, key);
        var path = span?.Path ?? JsonPaths.Dotted(owner, key);
        if (owner is JsonArray && key is not null)
        {
            // A null list item has no node of its own: name it by index under the list.
            path = JsonPaths.Join(map.Find(owner)?.Path ?? JsonPaths.Dotted(owner), key);
        }

        Items.Add(new ConfigDiagnostic(severity, message, path, span?.Line, span?.Column));
    }
}

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

/// <summary>Turns byte offsets in UTF-8 text into 1-based line/column (columns count characters).</summary>
internal sealed class LineIndex
{
    private readonly byte[] utf8;
    private readonly List<int> lineStarts = [0];

    public LineIndex(byte[] utf8)
    {
        this.utf8 = utf8;
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] == (byte)'\n')
            {
                lineStarts.Add(i + 1);
            }
        }
    }

    public (int Line, int Column) Locate(long offset)
    {
        var index = lineStarts.BinarySearch((int)offset);
        var line = index >= 0 ? index : ~index - 1;
        var column = Encoding.UTF8.GetCharCount(utf8, lineStarts[line], (int)offset - lineStarts[line]);
        return (line + 1, column + 1);
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
