using System.Text.Json;
using Fleet.Portal.Features.Updates.Cincinnati;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Updates;

/// <summary>
/// The OCI graph Zincati asks for with <c>oci=true</c> when its host booted from a container image, as
/// fedora-coreos-cincinnati builds it beside the OSTree graph: only releases with an OCI image for the
/// architecture are nodes, the payload is the image reference by digest, the scheme <c>oci</c>, the age
/// index the release's place in releases.json, and edges follow the usual rules over these nodes.
/// </summary>
public sealed class OciGraphTests
{
    [Fact]
    public void Build_FixtureReleaseIndex_TheOneReleaseWithAnImageWithItsDigestReference()
    {
        var index = JsonDocument.Parse(FixtureStreams.Releases).RootElement.GetProperty("releases");
        var withImage = index.EnumerateArray().Select((r, i) => (Release: r, Index: i))
            .Where(r => r.Release.TryGetProperty("oci-images", out _)).ToList();

        var wire = CincinnatiMetadata.ToWire(UpdateGraph.Build(FixtureStreams.Stable().Releases, "x86_64", oci: true));

        var (release, position) = Assert.Single(withImage);
        var node = Assert.Single(wire.Nodes);
        Assert.Equal(release.GetProperty("version").GetString(), node.Version);
        Assert.Equal(release.GetProperty("oci-images")[0].GetProperty("digest-ref").GetString(), node.Payload);
        Assert.Equal(CincinnatiMetadata.OciScheme, node.Metadata[CincinnatiMetadata.Scheme]);
        Assert.Equal($"{position}", node.Metadata[CincinnatiMetadata.AgeIndex]);
        Assert.Empty(wire.Edges);
    }

    [Fact]
    public void Build_ImagesOnSomeReleases_NodesOnlyForThemEdgesIntoBarriersAmongThem()
    {
        // Releases 11 and 13 are barriers in updates-stable.json; 25 is the newest, rolling out here.
        var stream = FixtureStreams.Stable(
            FixtureStreams.UpdatesWith(("33.20201214.3.1", """{"rollout":{"start_percentage":1.0}}""")),
            releases: FixtureStreams.ReleasesWithOciImages(0, 11, 12, 13, 25));

        var wire = CincinnatiMetadata.ToWire(UpdateGraph.Build(stream.Releases, "x86_64", oci: true));

        Assert.Equal(["0", "11", "12", "13", "25"], wire.Nodes.Select(n => n.Metadata[CincinnatiMetadata.AgeIndex]));
        Assert.All(wire.Nodes, n => Assert.Equal(FixtureStreams.OciReference(n.Version), n.Payload));
        Assert.All(wire.Nodes, n => Assert.Equal("oci", n.Metadata[CincinnatiMetadata.Scheme]));
        Assert.Equal([(0, 1), (1, 3), (2, 3), (3, 4)], wire.Edges.Select(e => (e[0], e[1])).Order());
        Assert.Equal("true", wire.Nodes[1].Metadata[CincinnatiMetadata.Barrier]);
    }

    [Fact]
    public void Build_ReleaseWithImagesOnly_InTheOciGraphNotInTheOstreeOne()
    {
        // Upstream's scraper accepts releases without commits since Fedora CoreOS stopped publishing OSTree.
        var releases = System.Text.Json.Nodes.JsonNode.Parse(FixtureStreams.ReleasesWithOciImages(24, 25))!;
        releases["releases"]![25]!.AsObject().Remove("commits");
        var stream = FixtureStreams.Stable(
            FixtureStreams.UpdatesWith(("33.20201214.3.1", """{"rollout":{"start_percentage":1.0}}""")),
            releases: releases.ToJsonString());

        var oci = CincinnatiMetadata.ToWire(UpdateGraph.Build(stream.Releases, "x86_64", oci: true));
        var ostree = UpdateGraph.Build(stream.Releases, "x86_64");

        // The fixture's first release has an image of its own; 24 is a barrier, 25 rolling out.
        Assert.Equal(["31.20200108.3.0", "33.20201201.3.0", "33.20201214.3.1"], oci.Nodes.Select(n => n.Version));
        Assert.Equal(FixtureStreams.OciReference("33.20201214.3.1"), oci.Nodes[2].Payload);
        Assert.Equal([(0, 1), (1, 2)], oci.Edges.Select(e => (e[0], e[1])).Order());
        Assert.Equal(25, ostree.Nodes.Count);
        Assert.DoesNotContain(ostree.Nodes, n => n.Version == "33.20201214.3.1");
    }

    [Fact]
    public void Build_WithoutOci_StillTheOstreeGraph()
    {
        var stream = FixtureStreams.Stable(releases: FixtureStreams.ReleasesWithOciImages(0, 11));

        var wire = CincinnatiMetadata.ToWire(UpdateGraph.Build(stream.Releases, "x86_64"));

        Assert.Equal(26, wire.Nodes.Count);
        Assert.All(wire.Nodes, n => Assert.Equal("checksum", n.Metadata[CincinnatiMetadata.Scheme]));
        Assert.All(wire.Nodes, n => Assert.Matches("^[0-9a-f]{64}$", n.Payload));
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("true", true)]
    [InlineData("True", true)]
    [InlineData("false", false)]
    [InlineData("1", null)]
    [InlineData("yes", null)]
    public void ParseOci_AsUpstreamReadsABoolean(string? value, bool? expected)
    {
        Assert.Equal(expected, UpdateGraphService.ParseOci(value));
    }
}
