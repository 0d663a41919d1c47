using Fleet.DeviceAgent.Updates;
using Fleet.Tests;

namespace Fleet.DeviceAgent.Tests.Updates;

public sealed class UpdateTargetSelectorTests
{
    private static CincinnatiGraph Zincati =>
        CincinnatiGraph.Parse(File.ReadAllText(SharedInterop.FixturePath("zincati-cincinnati-response.json")));

    [Fact]
    public void Select_ZincatiFixtureFromOldest_EdgeToNewest()
    {
        var (target, _) = UpdateTargetSelector.Select(Zincati, Zincati.Nodes[0].Payload, "32.20200517.1.0", null);

        Assert.Equal("32.20200601.1.1", target!.Version);
        Assert.True(target.IsChecksumPayload);
        Assert.Equal(2, target.AgeIndex);
    }

    [Fact]
    public void Select_NewestBooted_NothingOffered()
    {
        var (target, why) = UpdateTargetSelector.Select(Zincati, Zincati.Nodes[2].Payload, "32.20200601.1.1", null);

        Assert.Null(target);
        Assert.Equal("no update offered", why);
    }

    [Fact]
    public void Select_SeveralTargets_HighestAgeIndexOrOnlyThePin()
    {
        var a = FakeOs.ReleaseOf("42.1", 1);
        var b = FakeOs.ReleaseOf("42.2", 2);
        var c = FakeOs.ReleaseOf("42.3", 3);
        var graph = CincinnatiGraph.Parse(GraphOf(a, b, c));

        Assert.Equal("42.3", UpdateTargetSelector.Select(graph, a.Checksum, a.Version, null).Target!.Version);
        Assert.Equal("42.2", UpdateTargetSelector.Select(graph, a.Checksum, a.Version, "42.2").Target!.Version);
        Assert.Null(UpdateTargetSelector.Select(graph, b.Checksum, b.Version, "42.2").Target);
        Assert.Null(UpdateTargetSelector.Select(graph, c.Checksum, c.Version, "42.1").Target);
    }

    [Fact]
    public void Select_BootedNotInGraph_NothingAndWhy()
    {
        var (target, why) = UpdateTargetSelector.Select(Zincati, new string('0', 64), "99.0", null);

        Assert.Null(target);
        Assert.Contains("not in the update graph", why, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"nodes\": []}")]
    [InlineData("{\"nodes\": [{\"version\": \"1\", \"payload\": \"x\"}], \"edges\": [[0, 5]]}")]
    public void Parse_NotAGraph_FormatException(string json) => Assert.Throws<FormatException>(() => CincinnatiGraph.Parse(json));

    private static string GraphOf(params FakeOs.Release[] releases)
    {
        var server = new System.Text.StringBuilder("{\"nodes\":[");
        server.AppendJoin(',', releases.Select((r, i) => $"{{\"version\":\"{r.Version}\",\"payload\":\"{r.Checksum}\",\"metadata\":{{\"org.fedoraproject.coreos.scheme\":\"checksum\",\"org.fedoraproject.coreos.releases.age_index\":\"{i}\"}}}}"));
        server.Append("],\"edges\":[");
        var edges = new List<string>();
        for (var from = 0; from < releases.Length; from++)
        {
            for (var to = from + 1; to < releases.Length; to++)
            {
                edges.Add($"[{from},{to}]");
            }
        }

        return server.AppendJoin(',', edges).Append("]}").ToString();
    }
}
