using System.Net;
using System.Text.Json.Nodes;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Configs;

/// <summary><c>GET /ignition</c> content negotiation as real Ignition clients send it.</summary>
public sealed class IgnitionAcceptTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private const string Accept33 = "application/vnd.coreos.ignition+json;version=3.3.0, */*;q=0.1";
    private const string Accept35 = "application/vnd.coreos.ignition+json;version=3.5.0, */*;q=0.1";
    private const string Accept37 = "application/vnd.coreos.ignition+json;version=3.7.0";

    private PortalInstance Portal => fixture.Portal;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Get_UpstreamPair20AskedAs33_406NamingTheInlineChild_AsNative_Served()
    {
        var source = await File.ReadAllTextAsync(Fleet.Tests.SharedInterop.PathOf("butane-pairs", "20-input.bu"), Ct);
        var config = await ConfigTestSupport.CreateAsync(Portal, source, ConfigSourceLanguage.Butane);
        var mac = await DeviceWithAsync(config);

        // Ignition 2.14 sends this; it cannot read a 3.5.0 child: refuse rather than hand it a config that fails.
        using var old = await GetAsync($"/ignition?mac={mac}", Accept33);
        using var current = await GetAsync($"/ignition?mac={mac}", Accept35);

        Assert.Equal(HttpStatusCode.NotAcceptable, old.StatusCode);
        Assert.Contains(
            "ignition.config.merge.0.source: cannot convert to spec 3.3.0: the inline config it merges is spec 3.5.0",
            await old.Content.ReadAsStringAsync(Ct),
            StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    [Fact]
    public async Task Get_UnknownNewerSpecWithWildcard_NativeVersion_WithoutWildcard_406()
    {
        var config = ConfigTestSupport.Ignition("/etc/x", "x", version: "3.4.0");
        var mac = await DeviceWithAsync(await ConfigTestSupport.CreateAsync(Portal, config));

        using var wildcard = await GetAsync($"/ignition?mac={mac}", Accept37 + ", */*;q=0.1");
        using var only = await GetAsync($"/ignition?mac={mac}", Accept37);

        Assert.Equal(HttpStatusCode.OK, wildcard.StatusCode);
        Assert.Equal(IgnitionEndpoints.ContentType, wildcard.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await wildcard.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal("3.4.0", body["ignition"]!["version"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotAcceptable, only.StatusCode);
        var refusal = await only.Content.ReadAsStringAsync(Ct);
        Assert.Contains("spec 3.7.0 is not one this portal serves", refusal, StringComparison.Ordinal);
    }

    private async Task<string> DeviceWithAsync(int config)
    {
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        var assigned = await Portal.Configs()
            .AssignAsync(config, ConfigScope.Device, null, device, TestActors.Operator);
        Assert.True(assigned.Succeeded, assigned.Message);
        return mac;
    }

    private async Task<HttpResponseMessage> GetAsync(string url, string accept)
    {
        using var client = new HttpClient { BaseAddress = Portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return await client.SendAsync(request, Ct);
    }
}
