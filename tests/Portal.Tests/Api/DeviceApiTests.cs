using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Api;

/// <summary>/api/v1/devices over real HTTP with real tokens: pages, search, validation, decisions, problems.</summary>
public sealed class DeviceApiTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task List_WalkedByCursor_EveryDeviceOnceNewestFirst()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await EnrolAsync($"cursor-{i}"));
        }

        var token = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");
        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            using var response = await ApiTokens.GetAsync(Portal, $"/api/v1/devices?search=cursor-&limit=2{(cursor is null ? string.Empty : "&cursor=" + cursor)}", token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = (await response.Content.ReadFromJsonAsync<JsonElement>());
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetGuid()));
            cursor = page.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            pages++;
        }
        while (cursor is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(ids), seen);
    }

    [Fact]
    public async Task PageAfterCursor_SameRowsAndTotalAsTheOffsetPage()
    {
        for (var i = 0; i < 5; i++)
        {
            await EnrolAsync($"paging-{i}");
        }

        var first = await Portal.Devices.ListAsync(new DeviceQuery(Search: "paging-", Take: 2));
        var last = first.Rows[^1];

        var byKey = await Portal.Devices.ListAfterAsync(new DeviceQuery(Search: "paging-", Skip: 2, Take: 2), new DeviceCursor(last.FirstSeenAt, last.Id));
        var byOffset = await Portal.Devices.ListAsync(new DeviceQuery(Search: "paging-", Skip: 2, Take: 2));

        Assert.Equal(5, byKey.Total);
        Assert.Equal(byOffset.Total, byKey.Total);
        Assert.Equal(byOffset.Rows.Select(r => r.Id), byKey.Rows.Select(r => r.Id));
        Assert.Equal(2, byKey.Rows.Count);
    }

    [Theory]
    [InlineData("status=sideways", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    public async Task List_BadParameter_ValidationProblemNamingIt(string query, string field)
    {
        var token = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");

        using var response = await ApiTokens.GetAsync(Portal, $"/api/v1/devices?{query}", token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name {field}: {problem}");
    }

    [Fact]
    public async Task List_OverlongSearch_ValidationProblem()
    {
        var token = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");

        using var response = await ApiTokens.GetAsync(Portal, $"/api/v1/devices?search={new string('a', 300)}", token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 256 characters", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Search_PercentUnderscoreAndBackslash_MatchOnlyThemselves()
    {
        var tag = Guid.NewGuid().ToString("N")[..6];
        foreach (var suffix in new[] { "50%off", "50xoff", "a_b", "axb", "c\\d", "cd" })
        {
            await EnrolAsync($"lk{tag}-{suffix}");
        }

        Assert.Equal([$"lk{tag}-50%off"], await HostnamesAsync("%", tag));
        Assert.Equal([$"lk{tag}-50%off"], await HostnamesAsync("50%o", tag));
        Assert.Equal([$"lk{tag}-a_b"], await HostnamesAsync("a_b", tag));
        Assert.Equal([$"lk{tag}-c\\d"], await HostnamesAsync("c\\d", tag));
        Assert.Equal(6, (await Portal.Devices.ListAsync(new DeviceQuery(Search: $"lk{tag}-"))).Total);
    }

    [Theory]
    [InlineData("%25")]
    [InlineData("_")]
    public async Task List_WildcardSearch_MatchedLiterally(string search)
    {
        var hostname = $"plain{Guid.NewGuid().ToString("N")[..6]}";
        await EnrolAsync(hostname);
        var token = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");

        using var response = await ApiTokens.GetAsync(Portal, $"/api/v1/devices?search={search}", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items").EnumerateArray();
        Assert.DoesNotContain(hostname, items.Select(d => d.GetProperty("hostname").GetString()));
    }

    [Fact]
    public async Task Approve_AsOperator_ApprovedThenConflictOnSecondDecision()
    {
        var id = await EnrolAsync("api-approve");
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));

        using var approved = await http.PostAsync(new Uri($"/api/v1/devices/{id:N}/approve", UriKind.Relative), null);
        using var again = await http.PostAsync(new Uri($"/api/v1/devices/{id:N}/reject", UriKind.Relative), null);
        using var missing = await http.PostAsync(new Uri($"/api/v1/devices/{Guid.NewGuid():N}/approve", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("Offline", (await approved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var conflict = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Conflict", conflict.GetProperty("title").GetString());
        Assert.Contains(
            "already approved or rejected", conflict.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
        await using var db = await Portal.CreateDbAsync();
        var entry = db.AuditEntries.Single(a => a.EntityId == id.ToString("N") && a.Action == "device.approve");
        Assert.Equal(Fleet.Portal.Features.Audit.AuditSource.Api, entry.Source);
    }

    [Fact]
    public async Task Get_AsHelpDesk_DetailWithoutCredentialMaterial()
    {
        var id = await EnrolAsync("api-detail");
        await Portal.Devices.ApproveAsync(id, TestActors.Operator);

        using var response = await ApiTokens.GetAsync(Portal, $"/api/v1/devices/{id:N}", await ApiTokens.GetTokenAsync(Portal, "HelpDesk"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"hostname\":\"api-detail\"", body, StringComparison.Ordinal);
        Assert.DoesNotContain("credential", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret", body, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OpenApiDocument_ListsDeviceEndpoints()
    {
        using var http = new HttpClient { BaseAddress = Portal.BaseAddress };

        var document = await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));

        Assert.Contains("/api/v1/devices/{id}/approve", document, StringComparison.Ordinal);
        Assert.Contains("/api/v1/devices", document, StringComparison.Ordinal);
    }

    /// <summary>Hostnames found for <paramref name="search"/>, among those holding <paramref name="tag"/>.</summary>
    private async Task<List<string>> HostnamesAsync(string search, string tag)
    {
        var page = await Portal.Devices.ListAsync(new DeviceQuery(Search: search));
        return [.. page.Rows.Select(r => r.Hostname).Where(h => h.Contains(tag, StringComparison.Ordinal))];
    }

    private async Task<Guid> EnrolAsync(string hostname)
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request(hostname: hostname));
        return (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!.Id;
    }
}
