using System.Text.Json;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Updates.Cincinnati;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Tests;

namespace Fleet.Portal.Tests.Updates;

/// <summary>
/// The graph built from Fedora CoreOS's own releases.json and updates/stable.json, against what the
/// upstream graph builder (fedora-coreos-cincinnati commons/src/graph.rs) makes of the same documents.
/// </summary>
public sealed class GraphConformanceTests
{
    // Positions in fcos-releases.json of the releases updates-stable.json marks as barriers.
    private const int Barrier1 = 11;   // 31.20200517.3.0
    private const int Barrier2 = 13;   // 32.20200615.3.0
    private const int Barrier3 = 23;   // 32.20201104.3.0
    private const int Barrier4 = 24;   // 33.20201201.3.0
    private const int Newest = 25;     // 33.20201214.3.1

    [Fact]
    public void Build_FixtureStable_OneNodePerReleaseInIndexOrderWithItsCommit()
    {
        var graph = UpdateGraph.Build(FixtureStreams.Stable().Releases, "x86_64");
        var index = JsonDocument.Parse(FixtureStreams.Releases).RootElement.GetProperty("releases").EnumerateArray().ToList();

        Assert.Equal(index.Count, graph.Nodes.Count);
        for (var i = 0; i < index.Count; i++)
        {
            Assert.Equal(index[i].GetProperty("version").GetString(), graph.Nodes[i].Version);
            Assert.Equal(i, graph.Nodes[i].Release.AgeIndex);
            Assert.Equal(index[i].GetProperty("commits")[0].GetProperty("checksum").GetString(), graph.Nodes[i].Payload);
        }
    }

    [Fact]
    public void Build_FixtureStable_EdgesOnlyIntoBarriersFromSincePreviousBarrier()
    {
        var graph = UpdateGraph.Build(FixtureStreams.Stable().Releases, "x86_64");

        // As upstream's compute_edges: into each barrier from every node since the previous barrier
        // (that one included); the newest release has no rollout entry, so nothing leads to it.
        var expected = Enumerable.Range(0, Barrier1).Select(i => (i, Barrier1))
            .Concat(Enumerable.Range(Barrier1, Barrier2 - Barrier1).Select(i => (i, Barrier2)))
            .Concat(Enumerable.Range(Barrier2, Barrier3 - Barrier2).Select(i => (i, Barrier3)))
            .Append((Barrier3, Barrier4))
            .ToList();
        Assert.Equal(expected.Order(), graph.Edges.Order());
        Assert.DoesNotContain(graph.Edges, e => e.To == Newest);
        Assert.All(new[] { Barrier1, Barrier2, Barrier3, Barrier4 }, b => Assert.True(graph.Nodes[b].Release.IsBarrier));
    }

    [Fact]
    public void Build_RolloutAfterBarrier_EdgesFromThatBarrierOnly()
    {
        var stream = FixtureStreams.Stable(FixtureStreams.UpdatesWith(("33.20201214.3.1", """{"rollout":{"start_percentage":1.0}}""")));

        var graph = UpdateGraph.Build(stream.Releases, "x86_64");

        Assert.Equal([(Barrier4, Newest)], graph.Edges.Where(e => e.To == Newest));
    }

    [Fact]
    public void Build_RolloutBeforeAnyBarrier_EdgesFromTheFirstNode()
    {
        var stream = FixtureStreams.Stable(FixtureStreams.UpdatesWith(("31.20200323.3.2", """{"rollout":{"start_percentage":1.0}}""")));

        var graph = UpdateGraph.Build(stream.Releases, "x86_64");

        Assert.Equal(Enumerable.Range(0, 7).Select(i => (i, 7)), graph.Edges.Where(e => e.To == 7).Order());
    }

    [Fact]
    public void Build_DeadEnd_NoEdgesLeaveItAndItsMetadataSaysWhy()
    {
        var stream = FixtureStreams.Stable(FixtureStreams.UpdatesWith(("32.20200715.3.0", """{"deadend":{"reason":"https://example.org/bug"}}""")));

        var graph = UpdateGraph.Build(stream.Releases, "x86_64");
        var wire = CincinnatiMetadata.ToWire(graph);

        Assert.DoesNotContain(graph.Edges, e => e.From == 15);
        Assert.Contains(graph.Edges, e => e == (14, Barrier3));
        Assert.Equal("true", wire.Nodes[15].Metadata[CincinnatiMetadata.DeadEnd]);
        Assert.Equal("https://example.org/bug", wire.Nodes[15].Metadata[CincinnatiMetadata.DeadEndReason]);
    }

    [Fact]
    public void Build_OtherArchitecture_NoNodes()
    {
        var graph = UpdateGraph.Build(FixtureStreams.Stable().Releases, "aarch64");

        Assert.Empty(graph.Nodes);
        Assert.Empty(graph.Edges);
    }

    [Fact]
    public void ToWire_FixtureStable_MetadataAsUpstreamWritesIt()
    {
        var wire = CincinnatiMetadata.ToWire(UpdateGraph.Build(FixtureStreams.Stable().Releases, "x86_64"));

        Assert.All(wire.Nodes, n => Assert.Equal("checksum", n.Metadata[CincinnatiMetadata.Scheme]));
        Assert.Equal("11", wire.Nodes[Barrier1].Metadata[CincinnatiMetadata.AgeIndex]);
        Assert.Equal("true", wire.Nodes[Barrier1].Metadata[CincinnatiMetadata.Barrier]);
        Assert.Equal("https://github.com/coreos/fedora-coreos-tracker/issues/480#issuecomment-631724629", wire.Nodes[Barrier1].Metadata[CincinnatiMetadata.BarrierReason]);
        Assert.False(wire.Nodes[0].Metadata.ContainsKey(CincinnatiMetadata.Barrier));
        Assert.False(wire.Nodes[0].Metadata.ContainsKey(CincinnatiMetadata.Rollout));
    }

    [Fact]
    public void ToWire_Rollout_KeysAndValuesAsUpstream()
    {
        var stream = FixtureStreams.Stable(FixtureStreams.UpdatesWith(("33.20201214.3.1", """{"rollout":{"start_epoch":1784728800,"start_percentage":0.0,"duration_minutes":2880}}""")));

        var metadata = CincinnatiMetadata.ToWire(UpdateGraph.Build(stream.Releases, "x86_64")).Nodes[Newest].Metadata;

        Assert.Equal("true", metadata[CincinnatiMetadata.Rollout]);
        Assert.Equal("1784728800", metadata[CincinnatiMetadata.StartEpoch]);
        Assert.Equal("0", metadata[CincinnatiMetadata.StartValue]);
        Assert.Equal("2880", metadata[CincinnatiMetadata.Duration]);
    }

    [Fact]
    public void Wire_SerializedGraph_HasTheShapeZincatiReads()
    {
        var reference = JsonDocument.Parse(SharedInterop.Fixture("zincati-cincinnati-response.json")).RootElement;
        var stream = FixtureStreams.Stable(FixtureStreams.UpdatesWith(("33.20201214.3.1", """{"rollout":{"start_epoch":1591279200,"start_percentage":0.0,"duration_minutes":2880}}""")));
        var wire = CincinnatiMetadata.ToWire(UpdateGraph.Build(stream.Releases, "x86_64"));

        var ours = JsonDocument.Parse(JsonSerializer.Serialize(wire, CincinnatiJsonContext.Default.GraphDocument))
            .RootElement;

        AssertSameShape(reference, ours);
    }

    /// <summary>Same top-level keys; nodes with the same keys and value kinds; metadata string to string; edges pairs of integers.</summary>
    internal static void AssertSameShape(JsonElement reference, JsonElement ours)
    {
        Assert.Equal(Keys(reference), Keys(ours));
        var referenceNode = reference.GetProperty("nodes")[0];
        foreach (var node in ours.GetProperty("nodes").EnumerateArray())
        {
            Assert.Equal(Keys(referenceNode), Keys(node));
            foreach (var property in referenceNode.EnumerateObject())
            {
                Assert.Equal(property.Value.ValueKind, node.GetProperty(property.Name).ValueKind);
            }

            Assert.All(node.GetProperty("metadata").EnumerateObject(), m => Assert.Equal(JsonValueKind.String, m.Value.ValueKind));
        }

        // Every metadata key of the reference response appears in ours, with a value of the same form.
        var ourKeys = ours.GetProperty("nodes").EnumerateArray().SelectMany(n => n.GetProperty("metadata").EnumerateObject().Select(m => m.Name)).ToHashSet();
        foreach (var key in reference.GetProperty("nodes").EnumerateArray().SelectMany(n => n.GetProperty("metadata").EnumerateObject().Select(m => m.Name)).Distinct())
        {
            Assert.Contains(key, ourKeys);
        }

        Assert.All(ours.GetProperty("edges").EnumerateArray(), e =>
        {
            Assert.Equal(2, e.GetArrayLength());
            Assert.All(e.EnumerateArray(), i => Assert.True(i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out _)));
        });
    }

    private static List<string> Keys(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
}
