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
