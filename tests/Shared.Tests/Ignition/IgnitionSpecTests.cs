using Fleet.Shared.Ignition;

namespace Fleet.Shared.Tests.Ignition;

public sealed class IgnitionSpecTests
{
    [Theory]
    [InlineData("application/vnd.coreos.ignition+json;version=3.3.0, */*;q=0.1", "3.3.0")]
    [InlineData("application/vnd.coreos.ignition+json; version=3.4.0", "3.4.0")]
    [InlineData("*/*", null)]
    [InlineData(null, null)]
    public void RequestedVersion_AcceptHeader_ParsesVersion(string? accept, string? expected)
    {
        Assert.Equal(expected is null ? null : Version.Parse(expected), IgnitionSpec.RequestedVersion(accept));
    }
}
