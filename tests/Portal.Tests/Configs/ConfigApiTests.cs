using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Configs;

/// <summary><c>/api/v1/configs</c> over real HTTP with bearer tokens: the same service, its located errors and its role checks.</summary>
public sealed class ConfigApiTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task CreateSaveDiff_AsOperator_LocatedErrorsThenVersionsAndDiff()
    {
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));
        var name = "api-" + Guid.NewGuid().ToString("N")[..8];

        using var bad = await http.PostAsJsonAsync(new Uri("/api/v1/configs", UriKind.Relative),
            new { name, language = "Butane", source = "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: \"{{device.nope}}\"\n" });
        using var created = await http.PostAsJsonAsync(new Uri("/api/v1/configs", UriKind.Relative),
            new { name, language = "Butane", source = "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: one\n", message = "v1" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("configId").GetInt32();
        using var saved = await http.PostAsJsonAsync(new Uri($"/api/v1/configs/{id}/versions", UriKind.Relative),
            new { source = "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents:\n        inline: two\n", message = "v2", basedOn = 1 });
        var diff = await http.GetFromJsonAsync<JsonElement>(new Uri($"/api/v1/configs/{id}/diff?from=1&to=2", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("line 7", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        var kinds = diff.GetProperty("lines").EnumerateArray().Select(l => l.GetProperty("kind").GetString()).ToList();
        Assert.Equal(1, kinds.Count(k => k == "Removed"));
        Assert.Equal(1, kinds.Count(k => k == "Added"));
    }

    [Fact]
    public async Task Create_AsHelpDesk_Forbidden()
    {
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "HelpDesk"));

        using var response = await http.PostAsJsonAsync(new Uri("/api/v1/configs", UriKind.Relative),
            new { name = "helpdesk-try", language = "Ignition", source = """{"ignition":{"version":"3.3.0"}}""" });
        using var list = await http.GetAsync(new Uri("/api/v1/configs", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }
}
