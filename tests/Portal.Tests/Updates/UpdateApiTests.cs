using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Updates;

/// <summary>/api/v1/updates over real HTTP with real tokens.</summary>
public sealed class UpdateApiTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private static readonly string[] Weekend = ["Saturday", "Sunday"];
    private static readonly string[] NoDay = ["Caturday"];

    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Streams_AsHelpDesk_SeededStreamsAndTheDefault()
    {
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "HelpDesk"));

        var streams = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/updates/streams", UriKind.Relative));
        var settings = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/updates/settings", UriKind.Relative));

        var names = streams.EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Equal(["stable", "testing", "next"], names.Take(3));
        Assert.True(streams[0].GetProperty("isFleetDefault").GetBoolean());
        Assert.Equal("stable", settings.GetProperty("defaultStream").GetString());
        Assert.Equal(20, settings.GetProperty("failureThresholdPercent").GetInt32());
        Assert.Equal(5, settings.GetProperty("failureMinimumSample").GetInt32());
    }

    [Fact]
    public async Task Import_InlineDocumentsAsOperator_ReportThenStreamWithReleases()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));
        var body = new JsonObject
        {
            ["releases"] = JsonNode.Parse(UpdateTestSupport.Retarget(FixtureStreams.Releases, stream)),
            ["updates"] = JsonNode.Parse(UpdateTestSupport.Retarget(FixtureStreams.Updates, stream)),
        };

        using var response = await http.PostAsJsonAsync(new Uri($"/api/v1/updates/streams/{stream}/import", UriKind.Relative), body);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();
        var details = await http.GetFromJsonAsync<JsonElement>(new Uri($"/api/v1/updates/streams/{stream}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(26, report.GetProperty("added").GetInt32());
        Assert.Equal(26, details.GetProperty("releases").GetArrayLength());
        Assert.Equal("33.20201214.3.1", details.GetProperty("releases")[0].GetProperty("version").GetString());
    }

    [Fact]
    public async Task Import_BadRow_ValidationProblemNamingTheDocument()
    {
        var stream = await UpdateTestSupport.CreateStreamAsync(Portal, import: false);
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));
        var releases = JsonNode.Parse(UpdateTestSupport.Retarget(FixtureStreams.Releases, stream))!;
        releases["releases"]![2]!["commits"]![0]!["architecture"] = "x86 64";

        using var response = await http.PostAsJsonAsync(new Uri($"/api/v1/updates/streams/{stream}/import", UriKind.Relative), new JsonObject { ["releases"] = releases });
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("$.releases[2].commits[0].architecture", problem.GetProperty("errors").GetProperty("releases")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Groups_CreateUpdateAndBadInput_AsOperator()
    {
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));
        var name = $"api-{Guid.NewGuid():N}"[..16];

        using var created = await http.PostAsJsonAsync(new Uri("/api/v1/updates/groups", UriKind.Relative), new
        {
            name,
            fleetLockSlots = 2,
            streamOverride = "testing",
            maintenanceWindow = new { days = Weekend, startUtc = "01:00", durationMinutes = 60 },
        });
        var group = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = group.GetProperty("id").GetInt32();
        using var badSlots = await http.PutAsJsonAsync(new Uri($"/api/v1/updates/groups/{id}", UriKind.Relative), new { name, fleetLockSlots = 0 });
        using var badDay = await http.PutAsJsonAsync(new Uri($"/api/v1/updates/groups/{id}", UriKind.Relative), new { name, maintenanceWindow = new { days = NoDay, startUtc = "01:00", durationMinutes = 60 } });
        using var deleteDefault = await http.DeleteAsync(new Uri("/api/v1/updates/groups/1", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/api/v1/updates/groups/{id}", created.Headers.Location?.ToString());
        Assert.Equal("testing", group.GetProperty("stream").GetString());
        Assert.Equal(["Sunday", "Saturday"], group.GetProperty("maintenanceWindow").GetProperty("days").EnumerateArray().Select(d => d.GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, badSlots.StatusCode);
        Assert.True((await badSlots.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("fleetLockSlots", out _));
        Assert.True((await badDay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").TryGetProperty("maintenanceWindow.days", out _));
        Assert.Equal(HttpStatusCode.Conflict, deleteDefault.StatusCode);
    }

    [Fact]
    public async Task Device_AssignPauseAndPlan_AsOperator()
    {
        var (device, uuid) = await UpdateTestSupport.EnrolApprovedAsync(Portal, "api-plan");
        var group = await UpdateTestSupport.CreateGroupAsync(Portal, "testing");
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));

        using var assigned = await http.PutAsJsonAsync(new Uri($"/api/v1/updates/devices/{device:N}/group", UriKind.Relative), new { groupId = group });
        using var paused = await http.PostAsJsonAsync(new Uri($"/api/v1/updates/devices/{device:N}/pause", UriKind.Relative), new { reason = "on a ship", until = (DateTimeOffset?)null });
        using var noReason = await http.PostAsJsonAsync(new Uri($"/api/v1/updates/devices/{device:N}/pause", UriKind.Relative), new { reason = "" });
        var plan = await http.GetFromJsonAsync<JsonElement>(new Uri($"/api/v1/updates/devices/{device:N}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, assigned.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, paused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal("testing", plan.GetProperty("stream").GetString());
        Assert.Equal("group", plan.GetProperty("streamSource").GetString());
        Assert.Equal("device", plan.GetProperty("pausedBy").GetString());
        Assert.Equal(uuid, plan.GetProperty("nodeUuid").GetString());
    }

    [Fact]
    public async Task Locks_ReleaseThroughApi_NoContentThenNotFound()
    {
        var id = await UpdateTestSupport.CreateGroupAsync(Portal);
        await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("api-stale", await UpdateTestSupport.GroupNameAsync(Portal, id)));
        using var http = ApiTokens.Http(Portal, await ApiTokens.GetTokenAsync(Portal, "Operator"));

        var holders = await http.GetFromJsonAsync<JsonElement>(new Uri($"/api/v1/updates/groups/{id}/locks", UriKind.Relative));
        using var released = await http.DeleteAsync(new Uri($"/api/v1/updates/groups/{id}/locks/api-stale", UriKind.Relative));
        using var again = await http.DeleteAsync(new Uri($"/api/v1/updates/groups/{id}/locks/api-stale", UriKind.Relative));

        Assert.Equal("api-stale", holders[0].GetProperty("nodeId").GetString());
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_ListsUpdateEndpointsButNotTheDeviceProtocol()
    {
        using var http = new HttpClient { BaseAddress = Portal.BaseAddress };

        var document = await http.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative));

        Assert.Contains("/api/v1/updates/streams/{name}/import", document, StringComparison.Ordinal);
        Assert.DoesNotContain("/v1/graph", document.Replace("/api/v1/", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }
}
