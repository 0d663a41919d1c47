using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Updates.Import;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;

namespace Fleet.Portal.Tests.Updates;

/// <summary>Streams, devices and requests for the update tests. Each test makes its own stream and devices, so tests sharing a portal do not meet.</summary>
internal static class UpdateTestSupport
{
    public static UpdateService Updates(this PortalInstance portal) => portal.Services.GetRequiredService<UpdateService>();

    public static ReleaseImportService Imports(this PortalInstance portal) => portal.Services.GetRequiredService<ReleaseImportService>();

    /// <summary>The document with its "stream" set to <paramref name="stream"/>, so fixtures can fill any stream.</summary>
    public static string Retarget(string json, string stream)
    {
        var document = JsonNode.Parse(json)!.AsObject();
        document["stream"] = stream;
        return document.ToJsonString();
    }

    /// <summary>A new stream holding the fixture releases (and the fixture policy, or <paramref name="updates"/>).</summary>
    public static async Task<string> CreateStreamAsync(PortalInstance portal, string? updates = null, bool import = true)
    {
        var name = $"s{Guid.NewGuid():N}"[..12];
        var created = await portal.Updates().CreateStreamAsync(new StreamInput(name, "test"), TestActors.Operator);
        Assert.True(created.Succeeded, created.Message);
        if (import)
        {
            var report = await portal.Imports().ImportAsync(name, new ReleaseImportDocuments(
                Retarget(FixtureStreams.Releases, name), Retarget(updates ?? FixtureStreams.Updates, name), null), TestActors.Operator);
            Assert.True(report.Succeeded, report.Summary);
        }

        return name;
    }

    public static async Task<int> CreateGroupAsync(PortalInstance portal, string? stream = null, int slots = 1, MaintenanceWindow? window = null)
    {
        var name = $"g-{Guid.NewGuid():N}"[..14];
        var change = await portal.Updates().CreateGroupAsync(
            new GroupInput(name, null, stream, slots, window?.Days ?? WeekDays.None, window?.StartUtc, window?.DurationMinutes), TestActors.Operator);
        Assert.True(change.Succeeded, change.Message);
        return (await portal.Updates().ListGroupsAsync()).Single(g => g.Name == name).Id;
    }

    public static async Task<string> GroupNameAsync(PortalInstance portal, int id) => (await portal.Updates().GetGroupAsync(id))!.Name;

    /// <summary>An approved device, enrolled over MQTT with a fresh machine-id; its node UUID as Zincati would compute it.</summary>
    public static async Task<(Guid Id, string NodeUuid)> EnrolApprovedAsync(PortalInstance portal, string hostname)
    {
        var machineId = Guid.NewGuid().ToString("N");
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(portal.MqttPort);
        await using (client)
        {
            await client.EnrollAsync(TestMqttClient.Request(machineId, hostname));
        }

        var device = (await portal.FindDeviceAsync(d => d.MachineId == machineId))!;
        var decision = await portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        Assert.Equal(OutcomeKind.Done, decision.Kind);
        return (device.Id, NodeUuid.FromMachineId(machineId)!);
    }

    public static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> GetGraphAsync(PortalInstance portal, string query)
    {
        using var http = new HttpClient { BaseAddress = portal.BaseAddress };
        var response = await http.GetAsync(new Uri($"/v1/graph?{query}", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    /// <summary>The edges of a graph response as (from version, to version).</summary>
    public static List<(string From, string To)> Edges(JsonElement graph)
    {
        var versions = graph.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("version").GetString()!).ToList();
        return [.. graph.GetProperty("edges").EnumerateArray().Select(e => (versions[e[0].GetInt32()], versions[e[1].GetInt32()]))];
    }

    public static async Task<(HttpStatusCode Status, string Body)> FleetLockAsync(PortalInstance portal, string operation, string? body, string? header = "true")
    {
        using var http = new HttpClient { BaseAddress = portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/{operation}");
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        if (header is not null)
        {
            request.Headers.Add("fleet-lock-protocol", header);
        }

        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static string LockBody(string id, string group) =>
        JsonSerializer.Serialize(new { client_params = new { id, group } });

    public static string KindOf(string body) => JsonDocument.Parse(body).RootElement.GetProperty("kind").GetString()!;
}
