using System.Buffers;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Features.Agents;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using MQTTnet;
using static Fleet.Portal.Tests.Agents.AgentFixtures;

namespace Fleet.Portal.Tests.Agents;

/// <summary>
/// Agent self-updates, portal side, over the real broker with a plain MQTT client as the device: the retained release
/// an approved device is offered, the reports it sends back, the halt after failures, and who may change targets.
/// </summary>
public sealed class AgentRolloutTests : IAsyncLifetime
{
    private const string PublicUrl = "https://fleet.example.test/";

    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync() =>
        _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Updates:PublicBaseUrl"] = PublicUrl,
        });

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    private const string FleetUrl = "/api/v1/agents/targets/fleet";
    private const string GroupUrl = "/api/v1/agents/targets/groups/1";

    private Task<Outcome> SetFleetAsync(string version, int percent = 100) =>
        _portal.Targets().SetAsync(null, new AgentTargetInput(version, percent), TestActors.Admin);

    [Fact]
    public async Task Online_FleetTarget_RetainedReleaseVerifiesWithEnrolmentKey()
    {
        var build = await _portal.AddBuildAsync("2.0.0");
        await _portal.AddBuildAsync("2.0.0", "aarch64");
        Assert.True((await SetFleetAsync("2.0.0")).Succeeded);

        var answer = await ApprovedDevice.ApproveAsync(_portal, "offered");
        var id = answer.DeviceId!;
        var (client, _) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, answer.Secret!);
        await using var _ = client;
        await OnlineAsync(client, id, "1.0.0");

        var message = await NextOnAsync(client, Topics.AgentRelease(id));
        var release = JsonSerializer.Deserialize(message.Payload.ToArray(), FleetJson.Default.AgentRelease)!;
        Assert.Equal(("2.0.0", "x86_64", $"{PublicUrl}agent/2.0.0/x86_64", build.Sha512),
            (release.Version, release.Architecture, release.Url, release.Sha512));
        var key = Convert.FromBase64String(answer.AgentSigningKey!);
        Assert.True(
            AgentSignature.Verify(key, release.Version, release.Architecture, release.Sha512, release.Signature));
        Assert.False(AgentSignature.Verify(key, "1.9.0", release.Architecture, release.Sha512, release.Signature));
        Assert.Equal(_portal.Services.GetRequiredService<AgentSigningKey>().PublicKey, answer.AgentSigningKey);

        await Eventually.TrueAsync(() => _portal.AgentStateAsync(id).Result?.OfferedVersion == "2.0.0");
        Assert.Equal("1.0.0", (await _portal.FindDeviceAsync(d => d.Id == Guid.ParseExact(id, "N")))!.AgentVersion);

        // A second subscriber of the same device (after a reconnect) gets the offer from the retained store.
        await client.DisposeAsync();
        var (again, _) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, answer.Secret!);
        await using var __ = again;
        await again.SubscribeAsync(Topics.AgentRelease(id));
        var retained = await NextOnAsync(again, Topics.AgentRelease(id));
        Assert.True(retained.Retain);
        Assert.Equal(message.Payload.ToArray(), retained.Payload.ToArray());
    }

    [Fact]
    public async Task Enrolment_AskingAgainWhenApproved_AnswerCarriesSigningKeyAgain()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(_portal.MqttPort);
        await using var _ = client;
        var request = TestMqttClient.Request(hostname: "again");
        Assert.Equal(EnrollmentDecision.Pending, (await client.EnrollAsync(request)).Decision);
        var device = (await _portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;
        await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        var first = await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse);

        var again = await client.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(1) });

        var key = _portal.Services.GetRequiredService<AgentSigningKey>().PublicKey;
        Assert.Equal((EnrollmentDecision.Approved, key), (first.Decision, first.AgentSigningKey));
        Assert.Equal((EnrollmentDecision.Approved, key), (again.Decision, again.AgentSigningKey));
        Assert.Equal(32, Convert.FromBase64String(key).Length);
    }

    [Fact]
    public async Task Percent_LoweredToZero_OfferWithdrawnAndNotRetained()
    {
        await _portal.AddBuildAsync("2.0.0");
        await SetFleetAsync("2.0.0");
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "zero");
        await using var _ = client;
        await OnlineAsync(client, id, "1.0.0");
        await NextOnAsync(client, Topics.AgentRelease(id));

        Assert.True((await SetFleetAsync("2.0.0", 0)).Succeeded);

        var cleared = await NextOnAsync(client, Topics.AgentRelease(id));
        Assert.Equal(0, cleared.Payload.Length);
        await Eventually.TrueAsync(() => _portal.AgentStateAsync(id).Result?.OfferedVersion is null);
        var view = (await _portal.Targets().GetDeviceAsync(Guid.ParseExact(id, "N")))!;
        Assert.Equal(("1.0.0", "2.0.0", (string?)null), (view.Running, view.Desired, view.Offered));
        Assert.Contains("first 0 %", view.Why, StringComparison.Ordinal);

        // Subscribing again: the settings answer to Online comes first, so nothing was retained before it.
        while (client.TryReceive(out var stale) && stale is not null)
        {
            // Drop what came before.
        }

        await client.SubscribeAsync(Topics.AgentRelease(id));
        await client.PublishAsync(Topics.Status(id), new DeviceStatus(DeviceState.Online, "1.0.0"),
            FleetJson.Default.DeviceStatus);
        Assert.Equal(Topics.Settings(id), (await client.ReceiveAsync()).Topic);
    }

    [Fact]
    public async Task Report_InstalledThenOnline_StateRecordedAndOfferCleared()
    {
        await _portal.AddBuildAsync("2.0.0");
        await SetFleetAsync("2.0.0");
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "installing");
        await using var _ = client;
        await OnlineAsync(client, id, "1.0.0");
        await NextOnAsync(client, Topics.AgentRelease(id));

        Assert.Equal(MqttClientPublishReasonCode.Success,
            await ReportAsync(client, id, "2.0.0", AgentUpdateResult.Installed));
        var state = (await _portal.AgentStateAsync(id))!;
        Assert.Equal(("2.0.0", AgentUpdateResult.Installed, (string?)null),
            (state.ReportedVersion, state.LastResult, state.LastDetail));
        Assert.NotNull(state.LastResultAt);

        await client.PublishAsync(Topics.Status(id), new DeviceStatus(DeviceState.Online, "2.0.0"),
            FleetJson.Default.DeviceStatus);
        Assert.Equal(0, (await NextOnAsync(client, Topics.AgentRelease(id))).Payload.Length);
        var deviceId = Guid.ParseExact(id, "N");
        Assert.Equal("2.0.0", (await _portal.FindDeviceAsync(d => d.Id == deviceId))!.AgentVersion);
        await using var db = await _portal.CreateDbAsync();
        var events = await db.DeviceEvents.AsNoTracking().Where(e => e.DeviceId == deviceId && e.Kind == "agent")
            .OrderBy(e => e.Id).Select(e => e.Message).ToListAsync();
        Assert.Equal(
            ["Agent 1.0.0 online (was test)", "Agent 2.0.0 installed", "Agent 2.0.0 online (was 1.0.0)"], events);
        var row = Assert.Single(await _portal.Targets().ListAsync());
        Assert.Equal((AgentTargetState.Complete, 1, 1), (row.State, row.Devices, row.OnTarget));
    }

    [Fact]
    public async Task Reports_TwoRolledBack_HaltTargetUntilResumed()
    {
        await _portal.AddBuildAsync("2.0.0");
        await SetFleetAsync("2.0.0");
        var (first, a) = await ApprovedDevice.ConnectAsync(_portal, "first");
        await using var _ = a;
        var (second, b) = await ApprovedDevice.ConnectAsync(_portal, "second");
        await using var __ = b;
        await OnlineAsync(a, first, "1.0.0");
        await OnlineAsync(b, second, "1.0.0");
        await NextOnAsync(a, Topics.AgentRelease(first));
        await NextOnAsync(b, Topics.AgentRelease(second));

        await ReportAsync(a, first, "2.0.0", AgentUpdateResult.RolledBack, "did not come online within 120 s");
        var target = (await _portal.FleetTargetAsync())!;
        Assert.Equal((1, (DateTimeOffset?)null), (target.Failures, target.HaltedAt));

        await ReportAsync(b, second, "2.0.0", AgentUpdateResult.RolledBack, "did not come online within 120 s");
        target = (await _portal.FleetTargetAsync())!;
        Assert.NotNull(target.HaltedAt);
        Assert.Contains("2 failed self-updates to 2.0.0", target.HaltReason, StringComparison.Ordinal);
        Assert.Contains(_portal.Logs.Entries, e => e.Level == LogLevel.Warning
            && e.Message.Contains("Halted the agent rollout of 2.0.0", StringComparison.Ordinal));
        await using (var db = await _portal.CreateDbAsync())
        {
            var entry = await db.AuditEntries.AsNoTracking().SingleAsync(e => e.Action == "agent-target.halt");
            Assert.Equal(("system", "2.0.0 to 100%"), (entry.Actor, entry.Before));
        }

        // No more offers: both devices' releases are withdrawn; the reason shows on the device and in the API.
        Assert.Equal(0, (await NextOnAsync(a, Topics.AgentRelease(first))).Payload.Length);
        Assert.Equal(0, (await NextOnAsync(b, Topics.AgentRelease(second))).Payload.Length);
        var view = (await _portal.Targets().GetDeviceAsync(Guid.ParseExact(first, "N")))!;
        Assert.Contains("halted", view.Why, StringComparison.Ordinal);
        Assert.Equal(
            (AgentUpdateResult.RolledBack, "did not come online within 120 s"), (view.LastResult, view.LastDetail));
        var token = await ApiTokens.GetTokenAsync(_portal, "HelpDesk");
        using var http = ApiTokens.Http(_portal, token);
        var rows = await http.GetFromJsonAsync<JsonElement>("/api/v1/agents/targets");
        Assert.Equal("Halted", rows[0].GetProperty("state").GetString());
        Assert.Equal(2, rows[0].GetProperty("failed").GetInt32());
        var device = await http.GetFromJsonAsync<JsonElement>($"/api/v1/agents/devices/{first}");
        Assert.Contains("halted", device.GetProperty("why").GetString(), StringComparison.Ordinal);
        Assert.Equal("RolledBack", device.GetProperty("lastResult").GetString());
        using (var browser = await BrowserSession.SignInAsync(_portal))
        {
            var page = await browser.Http.GetStringAsync(new Uri($"/devices/{first}", UriKind.Relative));
            Assert.Contains("data-testid=\"device-agent\"", page, StringComparison.Ordinal);
            Assert.Contains("Rolled back 2.0.0: did not come online within 120 s", page, StringComparison.Ordinal);
            Assert.Contains(
                "nothing: the rollout of 2.0.0 is halted: automatic: 2 failed", page, StringComparison.Ordinal);
        }


        Assert.True((await _portal.Targets().ResumeAsync(null, TestActors.Admin)).Succeeded);
        target = (await _portal.FleetTargetAsync())!;
        Assert.Equal((0, (DateTimeOffset?)null, (string?)null), (target.Failures, target.HaltedAt, target.HaltReason));
        var offered = await NextOnAsync(a, Topics.AgentRelease(first));
        Assert.Equal(
            "2.0.0", JsonSerializer.Deserialize(offered.Payload.ToArray(), FleetJson.Default.AgentRelease)!.Version);
        Assert.Equal(OutcomeKind.Conflict, (await _portal.Targets().ResumeAsync(null, TestActors.Admin)).Kind);
    }

    [Fact]
    public async Task Targets_HelpDeskAndOperator_MayNotChange()
    {
        await _portal.AddBuildAsync("2.0.0");
        foreach (var actor in new[] { TestActors.HelpDesk, TestActors.Operator })
        {
            Assert.Equal(OutcomeKind.Forbidden,
                (await _portal.Targets().SetAsync(null, new AgentTargetInput("2.0.0"), actor)).Kind);
            Assert.Equal(OutcomeKind.Forbidden, (await _portal.Targets().ResumeAsync(null, actor)).Kind);
        }

        foreach (var role in new[] { "HelpDesk", "Operator" })
        {
            using var http = ApiTokens.Http(_portal, await ApiTokens.GetTokenAsync(_portal, role));
            using var set = await http.PutAsJsonAsync(FleetUrl, new { version = "2.0.0" });
            Assert.Equal(HttpStatusCode.Forbidden, set.StatusCode);
            using var remove = await http.DeleteAsync(new Uri(GroupUrl, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Forbidden, remove.StatusCode);
            using var list = await http.GetAsync(new Uri("/api/v1/agents/targets", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        }

        Assert.Null(await _portal.FleetTargetAsync());
        await using var db = await _portal.CreateDbAsync();
        Assert.Equal(2, await db.AuditEntries.CountAsync(
            e => e.Action == "agent-target.set" && e.Outcome == AuditOutcome.Denied));
        Assert.Equal(2, await db.AuditEntries.CountAsync(
            e => e.Action == "agent-target.fleet.set" && e.Outcome == AuditOutcome.Denied));
    }

    [Fact]
    public async Task Targets_AdminOverApi_ValidatedAuditedAndRemoved()
    {
        await _portal.AddBuildAsync("2.0.0");
        await _portal.AddBuildAsync("2.1.0", "aarch64");
        using var http = ApiTokens.Http(_portal, await ApiTokens.GetTokenAsync(_portal, "Admin"));

        using var noBuild = await http.PutAsJsonAsync(FleetUrl, new { version = "9.9.9" });
        Assert.Equal(HttpStatusCode.BadRequest, noBuild.StatusCode);
        var problem = await noBuild.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("no build of 9.9.9", problem.GetProperty("errors").GetProperty("version")[0].GetString(),
            StringComparison.Ordinal);
        using var percent = await http.PutAsJsonAsync(FleetUrl, new { version = "2.0.0", percent = 101 });
        Assert.Equal(HttpStatusCode.BadRequest, percent.StatusCode);
        using var noGroup = await http.PutAsJsonAsync("/api/v1/agents/targets/groups/999", new { version = "2.0.0" });
        Assert.Equal(HttpStatusCode.NotFound, noGroup.StatusCode);

        using var fleet = await http.PutAsJsonAsync(FleetUrl, new { version = "2.0.0", percent = 50 });
        Assert.Equal(HttpStatusCode.NoContent, fleet.StatusCode);
        using var group = await http.PutAsJsonAsync(GroupUrl, new { version = "2.1.0", percent = 10 });
        Assert.Equal(HttpStatusCode.NoContent, group.StatusCode);
        var rows = await _portal.Targets().ListAsync();
        Assert.Equal([("fleet", "2.0.0", (string?)null, 50), ("default", "2.1.0", "2.0.0", 10)],
            rows.Select(r => (r.Scope, r.Version, r.PreviousVersion, r.Percent)).ToList());

        using var fleetAgain = await http.PutAsJsonAsync(FleetUrl, new { version = "2.1.0" });
        Assert.Equal(HttpStatusCode.NoContent, fleetAgain.StatusCode);
        var changed = (await _portal.FleetTargetAsync())!;
        Assert.Equal(("2.1.0", "2.0.0", 100), (changed.Version, changed.PreviousVersion, changed.Percent));

        using var removed = await http.DeleteAsync(new Uri(GroupUrl, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        using var again = await http.DeleteAsync(new Uri(GroupUrl, UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);

        await using var db = await _portal.CreateDbAsync();
        var audit = await db.AuditEntries.AsNoTracking().Where(e => e.EntityType == AgentTargetService.EntityType)
            .OrderBy(e => e.Id).Select(e => new { e.Action, e.EntityId, e.Before, e.After }).ToListAsync();
        Assert.Equal(
            [
                ("agent-target.set", "fleet", (string?)null, (string?)"2.0.0 to 50%"),
                ("agent-target.set", "group:1", null, "2.1.0 to 10%"),
                ("agent-target.set", "fleet", "2.0.0 to 50%", "2.1.0 to 100%"),
                ("agent-target.remove", "group:1", "2.1.0 to 10%", null),
            ],
            audit.Select(e => (e.Action, e.EntityId, e.Before, e.After)).ToList());
    }

    [Fact]
    public async Task Reports_Malformed_DroppedWithLogOthersStored()
    {
        var (bad, badClient) = await ApprovedDevice.ConnectAsync(_portal, "bad");
        await using var _ = badClient;
        var (good, goodClient) = await ApprovedDevice.ConnectAsync(_portal, "good");
        await using var __ = goodClient;

        await badClient.PublishAsync(Topics.AgentReport(bad), "{not json"u8.ToArray());
        var tooLong = new string('1', Protocol.MaxAgentVersionLength + 1);
        await ReportAsync(badClient, bad, tooLong, AgentUpdateResult.Failed);
        var longDetail = new string('x', Protocol.MaxUpdateErrorLength + 1);
        await ReportAsync(badClient, bad, "2.0.0", AgentUpdateResult.Refused, longDetail);
        await badClient.PublishAsync(Topics.AgentReport(bad),
            """{"version":"2.0.0","result":"Exploded","at":"2026-12-06T12:00:00Z"}"""u8.ToArray());
        await badClient.PublishAsync(Topics.Status(bad), new DeviceStatus(DeviceState.Online, tooLong),
            FleetJson.Default.DeviceStatus);
        await ReportAsync(goodClient, good, "2.0.0", AgentUpdateResult.Refused, "signature does not verify");

        Assert.Null(await _portal.AgentStateAsync(bad));
        var state = (await _portal.AgentStateAsync(good))!;
        Assert.Equal((AgentUpdateResult.Refused, "signature does not verify"), (state.LastResult, state.LastDetail));
        var warnings = _portal.Logs.Entries
            .Where(e => e.Level == LogLevel.Warning && e.Message.Contains(bad, StringComparison.Ordinal))
            .Select(e => e.Message).ToList();
        Assert.Contains(warnings, m => m.Contains("malformed JSON", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.Contains("version must be 1 to 64 characters", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.Contains("detail is longer than 1024 characters", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.Contains("Agent version in the Online", StringComparison.Ordinal));
        Assert.Equal(5, warnings.Count);
        var badDevice = Guid.ParseExact(bad, "N");
        Assert.Equal("test", (await _portal.FindDeviceAsync(d => d.Id == badDevice))!.AgentVersion);
        var view = (await _portal.Targets().GetDeviceAsync(Guid.ParseExact(good, "N")))!;
        Assert.Equal("signature does not verify", view.LastDetail);
    }
}
