using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

public sealed class IgnitionSpecTests
{
    [Theory]
    [InlineData("application/vnd.coreos.ignition+json;version=3.3.0, */*;q=0.1", "3.3.0")]
    [InlineData("application/vnd.coreos.ignition+json; version=3.4.0", "3.4.0")]
    [InlineData("application/vnd.coreos.ignition+json;version=3.4.0, application/vnd.coreos.ignition+json;version=1;q=0.5, */*;q=0.1", "3.4.0")]
    [InlineData("application/json", null)]
    [InlineData("*/*", null)]
    [InlineData(null, null)]
    public void RequestedVersion_AcceptHeader_ParsesVersion(string? accept, string? expected)
    {
        Assert.Equal(expected is null ? null : Version.Parse(expected), IgnitionSpec.RequestedVersion(accept));
    }

    [Fact]
    public void ForClient_OlderIgnitionAsks33_ConvertedDown()
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse("""{"ignition":{"version":"3.5.0"},"storage":{"files":[{"path":"/a"}]}}""")!.AsObject();

        var served = IgnitionSpec.ForClient(config, "application/vnd.coreos.ignition+json;version=3.3.0, */*;q=0.1");

        Assert.True(served.Succeeded);
        Assert.Equal(new Version(3, 3, 0), IgnitionSpec.VersionOf(served.Ignition!));
        Assert.Same(config, IgnitionSpec.ForClient(config, "application/vnd.coreos.ignition+json;version=3.6.0").Ignition);
        Assert.Same(config, IgnitionSpec.ForClient(config, null).Ignition);
    }

    [Fact]
    public void Translate_VersionWritten_IgnitionSectionFirst()
    {
        var result = ButaneTranslator.Translate("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /a\n");

        Assert.StartsWith("{\"ignition\":{\"version\":\"3.4.0\"}", result.Ignition!.ToJsonString(), StringComparison.Ordinal);
    }
}
