using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Health;

/// <summary>/api/v1 health and alerts over real HTTP with real tokens.</summary>
public sealed class HealthApiTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task LatestAndHistory_HelpDeskReads_BadRangeIsValidationProblem()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(Portal, "api-health");
        await using var device = client;
        await client.PublishAsync(Topics.Health(id), HealthIngestTests.Report(1), FleetJson.Default.HealthReport);
        var second = HealthIngestTests.Report(2) with { DroppedReports = 4 };
        await client.PublishAsync(Topics.Health(id), second, FleetJson.Default.HealthReport);
        var token = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");

        using var latest = await ApiTokens.GetAsync(Portal, $"/api/v1/devices/{id}/health", token);
        Assert.Equal(HttpStatusCode.OK, latest.StatusCode);
        var body = await latest.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(2, body.GetProperty("sequence").GetInt64());
        Assert.Equal("/sysroot", body.GetProperty("report").GetProperty("filesystems")[0].GetProperty("mountPoint").GetString());
        Assert.Equal(4, body.GetProperty("report").GetProperty("droppedReports").GetInt64());

        using var raw = await ApiTokens.GetAsync(Portal, $"/api/v1/devices/{id}/health/history?resolution=raw", token);
        Assert.Equal(2, (await raw.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength());
        using var folded = await ApiTokens.GetAsync(Portal, $"/api/v1/devices/{id}/health/history?resolution=5m", token);
        Assert.InRange((await folded.Content.ReadFromJsonAsync<JsonElement>()).GetArrayLength(), 1, 2);

        using var bad = await ApiTokens.GetAsync(Portal, $"/api/v1/devices/{id}/health/history?resolution=1h&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", token);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("resolution", out _));
        Assert.True(problem.GetProperty("errors").TryGetProperty("from", out _));
    }

    [Fact]
    public async Task Rules_HelpDeskForbidden_OperatorCreates()
    {
        var rule = new { name = "Disk via API", kind = "DiskAbove", threshold = 95, severity = "Critical" };
        using var helpDesk = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "HelpDesk"));
        using var refused = await helpDesk.PostAsJsonAsync("/api/v1/alert-rules", rule);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        using var operatorClient = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));
        using var created = await operatorClient.PostAsJsonAsync("/api/v1/alert-rules", rule);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var invalid = await operatorClient.PostAsJsonAsync("/api/v1/alert-rules", rule with { threshold = 500 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        using var list = await helpDesk.GetAsync(new Uri("/api/v1/alert-rules", UriKind.Relative));
        Assert.Contains((await list.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray(), r => r.GetProperty("name").GetString() == "Disk via API" && r.GetProperty("kind").GetString() == "DiskAbove");
    }
}
