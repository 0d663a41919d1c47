namespace Fleet.Portal.Features.Updates.Cincinnati;

/// <summary>What the portal decided for one client, on top of the stream's graph.</summary>
/// <param name="Wariness">The client's rollout wariness (0 eager … 1 cautious).</param>
/// <param name="PausedBy">"device", "group" or "stream" when updates are paused; null otherwise.</param>
/// <param name="PinnedVersion">The only version the client may be sent to, when pinned.</param>
/// <param name="Now">The instant the graph is computed for (rollout throttles).</param>
public sealed record GraphPolicyInput(double Wariness, DateTimeOffset Now, string? PausedBy, string? PinnedVersion);

/// <summary>
/// Narrows a stream's graph for one client. In order of precedence:
/// <list type="number">
/// <item>paused (device, group or stream): the nodes, no edges;</item>
/// <item>halted releases: no edge leads into them, pinned or not;</item>
/// <item>dead-ends: no edge leaves them (already so in the built graph);</item>
/// <item>pinned: only edges toward the pinned version (through any barrier on the way), whatever the
/// rollout — the pin is an operator's explicit choice;</item>
/// <item>otherwise upstream's rollout throttling: no edges into a release rolling out to fewer clients than
/// this one's wariness (fcos-policy-engine: <c>throttle_rollouts</c> then <c>filter_deadends</c>).</item>
/// </list>
/// </summary>
public static class GraphPolicy
{
    public static UpdateGraph Apply(UpdateGraph graph, GraphPolicyInput policy)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.PausedBy is not null)
        {
            return graph.WithEdges([]);
        }

        var edges = policy.PinnedVersion is { } pinned
            ? PinnedEdges(graph, pinned)
            : graph.Edges.Where(e => !Rollout.IsHiddenFrom(graph.Nodes[e.To].Release, policy.Wariness, policy.Now));
        return graph.WithEdges(edges.Where(e => !graph.Nodes[e.To].Release.IsHalted && !graph.Nodes[e.From].Release.IsDeadEnd));
    }

    /// <summary>
    /// One edge out of every node older than the pinned release: to the first barrier between them, else
    /// to the pinned release itself. A client sees a single way forward, and never a way past a barrier
    /// or to anything newer than the pin. Nothing when the pinned version is not in this graph.
    /// </summary>
    private static IEnumerable<(int From, int To)> PinnedEdges(UpdateGraph graph, string pinned)
    {
        var target = graph.IndexOf(pinned);
        if (target < 0)
        {
            yield break;
        }

        for (var from = 0; from < target; from++)
        {
            var to = target;
            for (var between = from + 1; between < target; between++)
            {
                if (graph.Nodes[between].Release.IsBarrier)
                {
                    to = between;
                    break;
                }
            }

            yield return (from, to);
        }
    }
}
