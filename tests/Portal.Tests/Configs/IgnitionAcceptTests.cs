using System.Net;
using System.Text.Json.Nodes;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Configs;

/// <summary><c>GET /ignition</c> content negotiation as real Ignition clients send it.</summary>
public sealed class IgnitionAcceptTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Get_UpstreamPair20AskedAs33_406NamingTheInlineChild_AsNative_Served()
    {
        var pair = PairOrNull("20-input.bu");
        Assert.SkipWhen(pair is null, "needs ../shared/interop/butane-pairs/20-input.bu");
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        var config = await ConfigTestSupport.CreateAsync(Portal, await File.ReadAllTextAsync(pair!, TestContext.Current.CancellationToken), ConfigSourceLanguage.Butane);
        Assert.True((await Portal.Configs().AssignAsync(config, ConfigScope.Device, null, device, TestActors.Operator)).Succeeded);

        // Ignition 2.14 sends this; it cannot read a 3.5.0 child, so it must be refused, not handed a config that fails.
        using var old = await GetAsync($"/ignition?mac={mac}", "application/vnd.coreos.ignition+json;version=3.3.0, */*;q=0.1");
        using var current = await GetAsync($"/ignition?mac={mac}", "application/vnd.coreos.ignition+json;version=3.5.0, */*;q=0.1");

        Assert.Equal(HttpStatusCode.NotAcceptable, old.StatusCode);
        Assert.Contains("ignition.config.merge.0.source: cannot convert to spec 3.3.0: the inline config it merges is spec 3.5.0",
            await old.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, current.StatusCode);
    }

    [Fact]
    public async Task Get_UnknownNewerSpecWithWildcard_NativeVersion_WithoutWildcard_406()
    {
        var (device, mac) = await ConfigTestSupport.AddDeviceAsync(Portal);
        var config = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/x", "x", version: "3.4.0"));
        Assert.True((await Portal.Configs().AssignAsync(config, ConfigScope.Device, null, device, TestActors.Operator)).Succeeded);

        using var wildcard = await GetAsync($"/ignition?mac={mac}", "application/vnd.coreos.ignition+json;version=3.7.0, */*;q=0.1");
        using var only = await GetAsync($"/ignition?mac={mac}", "application/vnd.coreos.ignition+json;version=3.7.0");

        Assert.Equal(HttpStatusCode.OK, wildcard.StatusCode);
        Assert.Equal(IgnitionEndpoints.ContentType, wildcard.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await wildcard.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal("3.4.0", body["ignition"]!["version"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotAcceptable, only.StatusCode);
        Assert.Contains("spec 3.7.0 is not one this portal serves", await only.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> GetAsync(string url, string accept)
    {
        using var client = new HttpClient { BaseAddress = Portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static string? PairOrNull(string name)
    {
        try
        {
            var path = Path.Combine(Interop.Root, "butane-pairs", name);
            return File.Exists(path) ? path : null;
        }
        catch (TypeInitializationException)
        {
            return null;   // no shared interop data next to the repository
        }
    }
}
