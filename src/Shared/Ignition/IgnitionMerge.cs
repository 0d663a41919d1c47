using System.Text.Json.Nodes;

namespace Fleet.Shared.Ignition;

/// <summary>Ignition's config merge (parent ← child), as Ignition applies <c>ignition.config.merge</c>.</summary>
public static class IgnitionMerge
{
    /// <summary>Merges <paramref name="child"/> over <paramref name="parent"/>; neither input is modified.</summary>
    public static JsonObject Merge(JsonObject parent, JsonObject child) => MergeLayers([("parent", parent), ("child", child)]).Merged;

    /// <summary>
    /// Merges layers in order (first is the base) and records which layer each keyed entry came from:
    /// keys like <c>storage.files[/etc/motd]</c> map to the layer name.
    /// </summary>
    public static (JsonObject Merged, IReadOnlyDictionary<string, string> Origins) MergeLayers(IReadOnlyList<(string Layer, JsonObject Config)> layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        throw new NotImplementedException();
    }
}
