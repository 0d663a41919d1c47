namespace Fleet.DeviceAgent.Updates;

/// <summary>Which release to move to, given the graph the server offered.</summary>
public static class UpdateTargetSelector
{
    /// <summary>
    /// Finds the booted release in the graph (by checksum payload, else by version), follows its edges
    /// and picks the newest target by age index; with a pin, only a target of exactly that version.
    /// </summary>
    /// <returns>The target, or null with the reason there is none.</returns>
    public static (CincinnatiNode? Target, string Why) Select(CincinnatiGraph graph, string bootedChecksum, string? bootedVersion, string? pinnedVersion)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (pinnedVersion is not null && pinnedVersion == bootedVersion)
        {
            return (null, $"pinned to {pinnedVersion}, which is booted");
        }

        var current = -1;
        for (var i = 0; i < graph.Nodes.Count && current < 0; i++)
        {
            if (graph.Nodes[i].IsChecksumPayload && graph.Nodes[i].Payload == bootedChecksum)
            {
                current = i;
            }
        }

        for (var i = 0; i < graph.Nodes.Count && current < 0; i++)
        {
            if (bootedVersion is not null && graph.Nodes[i].Version == bootedVersion)
            {
                current = i;
            }
        }

        if (current < 0)
        {
            return (null, "the booted release is not in the update graph");
        }

        var targets = graph.Edges.Where(e => e.From == current && e.To != current).Select(e => (Index: e.To, Node: graph.Nodes[e.To]))
            .Where(t => pinnedVersion is null || t.Node.Version == pinnedVersion)
            .OrderBy(t => t.Node.AgeIndex).ThenBy(t => t.Index)
            .ToList();
        return targets.Count == 0
            ? (null, pinnedVersion is null ? "no update offered" : $"pinned version {pinnedVersion} is not offered from {bootedVersion ?? bootedChecksum}")
            : (targets[^1].Node, "newest offered");
    }
}
