using Fleet.Portal.Features.Updates.Cincinnati;

namespace Fleet.Portal.Tests.Updates;

/// <summary>The portal's policy on top of the stream graph: pause, pin, halt, throttling.</summary>
public sealed class GraphPolicyTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_600_000_000);

    private static UpdateGraph Graph(Action<Fleet.Portal.Features.Updates.UpdateStream>? edit = null)
    {
        // Newest release rolling out from the last barrier (24 → 25), a rollout half-way through.
        var stream = FixtureStreams.Stable(FixtureStreams.UpdatesWith(
            ("33.20201214.3.1", $$$"""{"rollout":{"start_epoch":{{{Now.ToUnixTimeSeconds() - 3600}}},"start_percentage":0.0,"duration_minutes":120}}""")));
        edit?.Invoke(stream);
        return UpdateGraph.Build(stream.Releases, "x86_64");
    }

    [Fact]
    public void Apply_Paused_NodesButNoEdges()
    {
        var graph = Graph();

        var answer = GraphPolicy.Apply(graph, new GraphPolicyInput(0, Now, "group", null));

        Assert.Equal(graph.Nodes.Count, answer.Nodes.Count);
        Assert.Empty(answer.Edges);
    }

    [Fact]
    public void Apply_Throttled_EagerClientSeesTheRolloutCautiousOneDoesNot()
    {
        var graph = Graph();

        var eager = GraphPolicy.Apply(graph, new GraphPolicyInput(0.4, Now, null, null));
        var cautious = GraphPolicy.Apply(graph, new GraphPolicyInput(0.6, Now, null, null));

        Assert.Contains((24, 25), eager.Edges);
        Assert.DoesNotContain(cautious.Edges, e => e.To == 25);
        Assert.Contains((23, 24), cautious.Edges);
    }

    [Fact]
    public void Apply_Halted_NoEdgeIntoIt()
    {
        var graph = Graph(s => s.Releases.Single(r => r.Version == "32.20201104.3.0").HaltedAt = Now);

        var answer = GraphPolicy.Apply(graph, new GraphPolicyInput(0, Now, null, null));

        Assert.DoesNotContain(answer.Edges, e => e.To == 23);
        Assert.Contains((24, 25), answer.Edges);
    }

    [Fact]
    public void Apply_Pinned_OneEdgeFromEachOlderNodeTowardThePin()
    {
        var graph = Graph();

        var answer = GraphPolicy.Apply(graph, new GraphPolicyInput(1, Now, null, "32.20200615.3.0"));

        Assert.Equal(13, answer.Edges.Count);
        Assert.Equal(answer.Edges.Count, answer.Edges.Select(e => e.From).Distinct().Count());
        Assert.All(answer.Edges.Where(e => e.From < 11), e => Assert.Equal(11, e.To));   // through the barrier first
        Assert.Equal([(11, 13), (12, 13)], answer.Edges.Where(e => e.From >= 11));
    }

    [Fact]
    public void Apply_PinnedToRollingOutRelease_OfferedWhateverTheWariness()
    {
        var answer = GraphPolicy.Apply(Graph(), new GraphPolicyInput(1, Now, null, "33.20201214.3.1"));

        Assert.Equal([(24, 25)], answer.Edges.Where(e => e.From == 24));
    }

    [Fact]
    public void Apply_PinnedToUnknownOrHaltedVersion_NoWayForward()
    {
        var halted = Graph(s => s.Releases.Single(r => r.Version == "33.20201214.3.1").HaltedAt = Now);

        Assert.Empty(GraphPolicy.Apply(Graph(), new GraphPolicyInput(0, Now, null, "99.1")).Edges);
        Assert.DoesNotContain(GraphPolicy.Apply(halted, new GraphPolicyInput(0, Now, null, "33.20201214.3.1")).Edges, e => e.To == 25);
    }
}
