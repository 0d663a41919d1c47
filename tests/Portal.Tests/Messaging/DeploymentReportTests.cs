using System.Text;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using MQTTnet;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>Deployment reports and update policies over the real embedded broker, driven by a plain MQTT client.</summary>
public sealed class DeploymentReportTests : IAsyncLifetime
{
    private const string PublicUrl = "https://fleet.example.test/";
    private static readonly string Booted = new('a', 64);
    private static readonly string Staged = new('b', 64);

    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync()
    {
        _portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?> { ["Fleet:Updates:PublicBaseUrl"] = PublicUrl });
        await _portal.AddReleaseAsync("stable", "42.2");
    }

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Report_StagedThenSucceeded_UpdatesDeviceEventsAndOutcomeOnce()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "updating");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");
        var nodeUuid = NodeUuid.FromMachineId(new string('1', 32));

        var staged = Report(staged: new DeploymentInfo(Staged, "42.2", "fedora:fedora/x86_64/coreos/stable"), nodeUuid: nodeUuid, @event: new UpdateEvent("e1", UpdateEventKind.Staged, DateTimeOffset.UtcNow, "42.2"));
        Assert.Equal(MqttClientPublishReasonCode.Success, await client.PublishAsync(Topics.Deployments(id), staged, FleetJson.Default.DeploymentReport));

        var device = (await _portal.FindDeviceAsync(d => d.Id == deviceId))!;
        Assert.Equal(("42.1", Booted, "42.2", DeviceUpdateStatus.Staged), (device.BootedVersion, device.BootedChecksum, device.StagedVersion, device.UpdateStatus));
        Assert.Equal((GreenbootStatus.Green, UpdateAgentKind.Fleet, nodeUuid), (device.Greenboot, device.UpdateAgent, device.NodeUuid));

        var succeeded = Report(booted: new DeploymentInfo(Staged, "42.2"), @event: new UpdateEvent("e2", UpdateEventKind.Succeeded, DateTimeOffset.UtcNow, "42.2"));
        await client.PublishAsync(Topics.Deployments(id), succeeded, FleetJson.Default.DeploymentReport);
        await client.PublishAsync(Topics.Deployments(id), succeeded, FleetJson.Default.DeploymentReport); // re-sent: not counted again

        device = (await _portal.FindDeviceAsync(d => d.Id == deviceId))!;
        Assert.Equal(("42.2", (string?)null, DeviceUpdateStatus.Updated), (device.BootedVersion, device.StagedVersion, device.UpdateStatus));
        Assert.Equal([("42.2", true)], await _portal.RolloutOutcomesAsync(deviceId));   // the rollout guard's count
        Assert.Equal(["Update to 42.2 staged for the next boot", "Updated to 42.2"], await UpdateEventsAsync(deviceId));
    }

    [Fact]
    public async Task Report_RolledBackEventThenDetectedRollback_LastRollbackSetOnce()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "rolling-back");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");

        var rolledBack = Report(@event: new UpdateEvent("r1", UpdateEventKind.RolledBack, DateTimeOffset.UtcNow, "42.2", "greenboot: health check failed")) with { RollbackDetected = true, Greenboot = GreenbootStatus.Red };
        await client.PublishAsync(Topics.Deployments(id), rolledBack, FleetJson.Default.DeploymentReport);
        var at = (await _portal.FindDeviceAsync(d => d.Id == deviceId))!.LastRollbackAt;
        await client.PublishAsync(Topics.Deployments(id), rolledBack with { Event = null }, FleetJson.Default.DeploymentReport);

        var device = (await _portal.FindDeviceAsync(d => d.Id == deviceId))!;
        Assert.NotNull(at);
        Assert.Equal((DeviceUpdateStatus.RolledBack, at, GreenbootStatus.Red), (device.UpdateStatus, device.LastRollbackAt, device.Greenboot));
        Assert.Equal(["Rolled back from 42.2: greenboot: health check failed"], await UpdateEventsAsync(deviceId));
        Assert.Equal([("42.2", false)], await _portal.RolloutOutcomesAsync(deviceId));
    }

    [Fact]
    public async Task Report_MalformedJson_AcknowledgedDroppedAndLoggedWithPath()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "malformed");
        await using var _ = client;

        var code = await client.PublishAsync(Topics.Deployments(id), Encoding.UTF8.GetBytes("{\"sentAt\":\"2026-01-01T00:00:00Z\",\"updateAgent\":\"Fleet\",\"greenboot\":\"Green\",\"rollbackDetected\":false,\"booted\":{\"checksum\":[}}"));

        Assert.Equal(MqttClientPublishReasonCode.Success, code);
        await _portal.Logs.WaitForAsync(e => e.Level == LogLevel.Warning && e.Message.Contains(id, StringComparison.Ordinal) && e.Message.Contains("malformed JSON at $.booted.checksum", StringComparison.Ordinal));
        Assert.Null((await _portal.FindDeviceAsync(d => d.Id == Guid.ParseExact(id, "N")))!.UpdateStatus);
    }

    [Fact]
    public async Task Report_BrokenFields_DroppedWithEveryFieldNamed()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "broken-fields");
        await using var _ = client;
        var report = Report(
            booted: new DeploymentInfo("XYZ", new string('9', 200)),
            @event: new UpdateEvent("bad id!", UpdateEventKind.Failed, DateTimeOffset.UtcNow, "42.2", new string('e', Protocol.MaxUpdateErrorLength + 1))) with { NodeUuid = "not-a-node" };

        Assert.Equal(MqttClientPublishReasonCode.Success, await client.PublishAsync(Topics.Deployments(id), report, FleetJson.Default.DeploymentReport));

        var entry = await _portal.Logs.WaitForAsync(e => e.Message.Contains($"Deployment report from device {id} dropped", StringComparison.Ordinal));
        foreach (var field in new[] { "booted.checksum:", "booted.version:", "nodeUuid:", "event.id:", "event.error:" })
        {
            Assert.Contains(field, entry.Message, StringComparison.Ordinal);
        }

        var device = (await _portal.FindDeviceAsync(d => d.Id == Guid.ParseExact(id, "N")))!;
        Assert.Null(device.BootedChecksum);
        Assert.Empty(await _portal.RolloutOutcomesAsync(device.Id));
    }

    [Fact]
    public async Task Report_Oversized_RefusedAsPayloadFormatInvalid()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "oversized");
        await using var _ = client;
        var report = Report(@event: new UpdateEvent("big", UpdateEventKind.Failed, DateTimeOffset.UtcNow, "42.2", new string('x', Protocol.MaxPayloadBytes)));

        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await client.PublishAsync(Topics.Deployments(id), report, FleetJson.Default.DeploymentReport));
        await _portal.Logs.WaitForAsync(e => e.Message.Contains($"Message on {Topics.Deployments(id)} dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Report_ToAnotherDevicesTopic_NotAuthorizedAndNothingStored()
    {
        var (victim, victimSecret) = await ApprovedDevice.EnrolAsync(_portal, "victim");
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "intruder");
        await using var _ = client;

        var code = await client.PublishAsync(Topics.Deployments(victim), Report(), FleetJson.Default.DeploymentReport);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, code);
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await client.PublishAsync(Topics.UpdatePolicy(id), Encoding.UTF8.GetBytes("{}")));
        Assert.Null((await _portal.FindDeviceAsync(d => d.Id == Guid.ParseExact(victim, "N")))!.BootedChecksum);
        Assert.NotEmpty(victimSecret);
    }

    [Fact]
    public async Task Online_DeviceSubscribed_ReceivesUpdatePolicyWithPublicUrls()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "policy");
        await using var _ = client;
        await client.SubscribeAsync(Topics.UpdatePolicy(id));
        await client.SubscribeAsync(Topics.Settings(id));

        await client.PublishAsync(Topics.Status(id), new DeviceStatus(DeviceState.Online), FleetJson.Default.DeviceStatus);

        var received = new List<MqttApplicationMessage> { await client.ReceiveAsync(), await client.ReceiveAsync() };
        var policyMessage = Assert.Single(received, m => m.Topic == Topics.UpdatePolicy(id));
        var policy = System.Text.Json.JsonSerializer.Deserialize(policyMessage.Payload.FirstSpan, FleetJson.Default.UpdatePolicy)!;
        Assert.Equal(new UpdatePolicy("stable", true, PublicUrl, PublicUrl, "default"), policy);
        Assert.Empty(UpdateRules.Check(policy));
    }

    [Fact]
    public async Task PublicUrl_Unset_DerivedFromKestrelAddress()
    {
        await using var portal = await PortalInstance.StartAsync();

        var url = portal.Services.GetRequiredService<PortalPublicUrl>().Get();

        Assert.Equal(portal.BaseAddress.GetLeftPart(UriPartial.Authority) + "/", url.ToString());
    }

    private static DeploymentReport Report(DeploymentInfo? booted = null, DeploymentInfo? staged = null, string? nodeUuid = null, UpdateEvent? @event = null) =>
        new(DateTimeOffset.UtcNow, UpdateAgentKind.Fleet, GreenbootStatus.Green, false, booted ?? new DeploymentInfo(Booted, "42.1"), staged, nodeUuid, Event: @event);

    private async Task<List<string>> UpdateEventsAsync(Guid deviceId)
    {
        await using var db = await _portal.CreateDbAsync();
        return db.DeviceEvents.Where(e => e.DeviceId == deviceId && e.Kind == "update").OrderBy(e => e.Id).Select(e => e.Message).ToList();
    }
}
