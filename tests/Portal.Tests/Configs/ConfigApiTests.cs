using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Configs;
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

    [Fact]
    public async Task Assign_VariableSetOnOneDeviceOfThree_AnswersPartialCoverageWithTheOthers()
    {
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));
        var group = await Updates.UpdateTestSupport.CreateGroupAsync(Portal);
        var (berlin, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "site-a", groupId: group);
        var (lacking1, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "site-b", groupId: group);
        var (lacking2, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "site-c", groupId: group);
        await ConfigTestSupport.AddDeviceAsync(Portal, EnrollmentState.Pending, "site-pending", group);
        await Portal.Configs().SetVariableAsync(berlin, "site", "berlin", secret: false, TestActors.Operator);
        var config = await ConfigTestSupport.CreateAsync(
            Portal, ConfigTestSupport.Ignition("/etc/site", "{{vars.site}}"));

        using var response = await http.PutAsJsonAsync(new Uri("/api/v1/configs/assignments", UriKind.Relative),
            new { configId = config, scope = "Group", groupId = group });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, body.GetProperty("rendered").GetInt32());
        Assert.Equal(3, body.GetProperty("devices").GetInt32());   // the pending device is not served a config
        Assert.True(body.GetProperty("partial").GetBoolean());
        Assert.Equal("renders for 1 of 3; 2 lack vars.site", body.GetProperty("summary").GetString());
        var unrendered = body.GetProperty("unrendered").EnumerateArray().ToList();
        Assert.Equal(
            [(lacking1, "site-b"), (lacking2, "site-c")],
            unrendered.Select(u => (u.GetProperty("deviceId").GetGuid(), u.GetProperty("hostname").GetString()!)));
        Assert.All(unrendered, u => Assert.Equal(["vars.site"],
            u.GetProperty("missing").EnumerateArray().Select(m => m.GetString())));
    }

    [Fact]
    public async Task Assign_AfterTheVariableIsSetEverywhere_RendersForAll()
    {
        var configs = Portal.Configs();
        var group = await Updates.UpdateTestSupport.CreateGroupAsync(Portal);
        var (a, _) = await ConfigTestSupport.AddDeviceAsync(Portal, groupId: group);
        var (b, _) = await ConfigTestSupport.AddDeviceAsync(Portal, groupId: group);
        var config = await ConfigTestSupport.CreateAsync(
            Portal, ConfigTestSupport.Ignition("/etc/site", "{{vars.site}} {{vars.rack}}"));
        await configs.SetVariableAsync(a, "site", "berlin", secret: false, TestActors.Operator);

        var partial = await configs.AssignAsync(config, ConfigScope.Group, group, null, TestActors.Operator);
        foreach (var device in new[] { a, b })
        {
            await configs.SetVariableAsync(device, "site", "berlin", secret: false, TestActors.Operator);
            await configs.SetVariableAsync(device, "rack", "r1", secret: false, TestActors.Operator);
        }

        var again = await configs.AssignAsync(config, ConfigScope.Group, group, null, TestActors.Operator);

        Assert.True(partial.Succeeded, partial.Message);
        Assert.Equal("renders for 0 of 2; 2 lack vars.rack; 1 lack vars.site", partial.Value!.Summary);
        Assert.True(again.Succeeded, again.Message);
        Assert.False(again.Value!.Partial);
        Assert.Equal("renders for 2 of 2", again.Value.Summary);
        Assert.Empty(again.Value.Unrendered);
    }
}
