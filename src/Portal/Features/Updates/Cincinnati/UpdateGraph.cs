namespace Fleet.Portal.Features.Updates.Cincinnati;

/// <summary>A release as a graph node for one architecture: the release and its payload there.</summary>
public sealed record GraphNode(Release Release, string Payload)
{
    public string Version => Release.Version;
}

/// <summary>
/// The update graph of one stream and architecture: nodes oldest first, edges as (from, to) node
/// indexes. Built by <see cref="Build"/> exactly as the Fedora CoreOS graph builder does, then
/// narrowed per client by <see cref="GraphPolicy"/>.
/// </summary>
public sealed class UpdateGraph
{
    private UpdateGraph(IReadOnlyList<GraphNode> nodes, IReadOnlyList<(int From, int To)> edges, bool oci)
    {
        Nodes = nodes;
        Edges = edges;
        Oci = oci;
    }

    public IReadOnlyList<GraphNode> Nodes { get; }

    public IReadOnlyList<(int From, int To)> Edges { get; }

    /// <summary>The OCI graph: payloads are image references by digest (scheme <c>oci</c>), not commits.</summary>
    public bool Oci { get; }

    public UpdateGraph WithEdges(IEnumerable<(int From, int To)> edges) => new(Nodes, [.. edges], Oci);

    public int IndexOf(string version)
    {
        for (var i = 0; i < Nodes.Count; i++)
        {
            if (Nodes[i].Version == version)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Mirrors coreos/fedora-coreos-cincinnati <c>commons/src/graph.rs</c> (<c>Graph::from_metadata</c>,
    /// <c>compute_edges</c>) and <c>commons/src/policy.rs</c> (<c>filter_deadends</c>):
    /// <list type="bullet">
    /// <item>nodes are the releases in age order that have a non-empty payload for <paramref name="basearch"/>
    /// (others are skipped, so a node's index can differ from its age index);</item>
    /// <item>edges lead only into rollouts and barriers: into each rollout from every node since the
    /// previous barrier (that barrier included, or from node 0), and into each barrier that is not itself
    /// rolling out from every node since the barrier before it. A plain release whose rollout entry was
    /// dropped from updates.json is a node nobody is sent to; a barrier is the only way past it;</item>
    /// <item>no edges leave a dead-end.</item>
    /// </list>
    /// With <paramref name="oci"/> (Zincati on a host booted from a container image sends <c>oci=true</c>)
    /// it is the separate OCI graph upstream builds beside the OSTree one (fedora-coreos-cincinnati
    /// pull request 99): only releases with an OCI image for <paramref name="basearch"/> are nodes, their
    /// payload is the image reference by digest (<c>oci-images[].digest-ref</c> of releases.json) and
    /// their scheme <c>oci</c>; edges follow the same rules over these nodes.
    /// </summary>
    public static UpdateGraph Build(IEnumerable<Release> releases, string basearch, bool oci = false)
    {
        ArgumentNullException.ThrowIfNull(releases);
        var nodes = new List<GraphNode>();
        foreach (var release in releases.OrderBy(r => r.AgeIndex))
        {
            var payload = release.Architectures
                .Where(a => a.Architecture == basearch)
                .Select(a => oci ? a.OciImage : a.Checksum)
                .FirstOrDefault(p => !string.IsNullOrEmpty(p));
            if (payload is not null)
            {
                nodes.Add(new GraphNode(release, payload));
            }
        }

        return FilterDeadEnds(new UpdateGraph(nodes, ComputeEdges(nodes), oci));
    }

    private static List<(int From, int To)> ComputeEdges(List<GraphNode> nodes)
    {
        var rollouts = new SortedSet<int>();
        var barriers = new SortedSet<int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i].Release.HasRollout)
            {
                rollouts.Add(i);
            }

            if (nodes[i].Release.IsBarrier)
            {
                barriers.Add(i);
            }
        }

        // Edges targeting rollouts, back till the previous barrier (newest rollout first, as upstream).
        var edges = new List<(int, int)>();
        foreach (var target in rollouts.Reverse())
        {
            var previousBarrier = target > 0 && barriers.GetViewBetween(0, target - 1) is { Count: > 0 } before ? before.Max : 0;
            for (var from = previousBarrier; from < target; from++)
            {
                edges.Add((from, target));
            }
        }

        // Edges targeting barriers, back till the previous barrier; a barrier still rolling out was done above.
        var start = 0;
        foreach (var target in barriers)
        {
            if (!rollouts.Contains(target))
            {
                for (var from = start; from < target; from++)
                {
                    edges.Add((from, target));
                }
            }

            start = target;
        }

        return edges;
    }

    /// <summary><c>policy::filter_deadends</c>: prune edges out of dead-end releases.</summary>
    public static UpdateGraph FilterDeadEnds(UpdateGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.WithEdges(graph.Edges.Where(e => !graph.Nodes[e.From].Release.IsDeadEnd));
    }
}
