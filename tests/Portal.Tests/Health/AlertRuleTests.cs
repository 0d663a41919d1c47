using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Health;

/// <summary>
/// Alert rules against the real portal on a fake clock: fire, no re-fire while active, resolve, hold-down,
/// offline detection. Evaluations are called explicitly so every assertion follows a known evaluation. The default
/// rules are deleted first, so each test sees only the rule it adds.
/// </summary>
public sealed class AlertRuleTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private PortalInstance _portal = null!;

    private AlertService Alerts => _portal.Services.GetRequiredService<AlertService>();

    private AlertEngine Engine => _portal.Services.GetRequiredService<AlertEngine>();

    public async ValueTask InitializeAsync()
    {
        _portal = await PortalInstance.StartAsync(time: _clock);
        await using var db = await _portal.CreateDbAsync();
        await db.AlertRules.ExecuteDeleteAsync();
    }

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task DiskRule_FiresOnceWhileHigh_ResolvesWhenCleared_FiresAgainOnlyAfterHoldDown()
    {
        var rule = await CreateRuleAsync(new AlertRuleInput("Disk full", AlertKind.DiskAbove, 90, AlertSeverity.Critical, null));
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "filling-up");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");

        await SendAsync(client, id, 1, disk: 95);
        var fired = Assert.Single(await AlertsAsync(deviceId));
        Assert.Equal((rule, AlertSeverity.Critical, true, _clock.GetUtcNow()), (fired.RuleId, fired.Severity, fired.IsOpen, fired.FiredAt));
        Assert.Contains("/sysroot 95 % full", fired.Message, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromMinutes(1));
        await SendAsync(client, id, 2, disk: 97);
        Assert.Single(await AlertsAsync(deviceId)); // still the one alert: no re-fire while active

        _clock.Advance(TimeSpan.FromMinutes(1));
        await SendAsync(client, id, 3, disk: 50);
        var resolved = Assert.Single(await AlertsAsync(deviceId));
        Assert.Equal((false, _clock.GetUtcNow(), (string?)null), (resolved.IsOpen, resolved.ResolvedAt, resolved.ResolvedBy));

        // High again at once: held down (30 minutes by default), not a second alert seconds after the first.
        _clock.Advance(TimeSpan.FromSeconds(8));
        await SendAsync(client, id, 4, disk: 99);
        _clock.Advance(TimeSpan.FromMinutes(29));
        await SendAsync(client, id, 5, disk: 99);
        Assert.Single(await AlertsAsync(deviceId));

        _clock.Advance(TimeSpan.FromMinutes(1));
        await SendAsync(client, id, 6, disk: 99);
        var history = await AlertsAsync(deviceId);
        Assert.Equal([false, true], history.Select(a => a.IsOpen));
    }

    [Fact]
    public async Task ResolvedByHand_ConditionStillHolds_NoReFireWithinHoldDown()
    {
        await CreateRuleAsync(new AlertRuleInput("Disk full", AlertKind.DiskAbove, 90, AlertSeverity.Critical, null));
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "stays-full");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");
        await SendAsync(client, id, 1, disk: 95);
        var alert = Assert.Single(await AlertsAsync(deviceId));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(OutcomeKind.Done, (await Alerts.ResolveAsync(alert.Id, TestActors.Operator)).Kind);

        // Reports every 8 s for 29 minutes, the disk still full: the resolved alert stays the only one.
        for (var seq = 2; seq < 2 + (29 * 60 / 8); seq += 20)
        {
            _clock.Advance(TimeSpan.FromSeconds(8 * 20));
            await SendAsync(client, id, seq, disk: 95);
        }

        Assert.False(Assert.Single(await AlertsAsync(deviceId)).IsOpen);
        _clock.Advance(TimeSpan.FromMinutes(2));
        await SendAsync(client, id, 1000, disk: 95);
        Assert.Equal([false, true], (await AlertsAsync(deviceId)).Select(a => a.IsOpen));
    }

    [Fact]
    public async Task RuleEdited_OpenAlertClosed_FiresAgainUnderTheNewRuleWithoutHoldDown()
    {
        var rule = await CreateRuleAsync(
            new AlertRuleInput("Disk", AlertKind.DiskAbove, 90, AlertSeverity.Warning, null));
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "edited");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");
        await SendAsync(client, id, 1, disk: 95);
        Assert.Single(await AlertsAsync(deviceId));

        var edit = new AlertRuleInput("Disk", AlertKind.DiskAbove, 80, AlertSeverity.Critical, null);
        Assert.Equal(OutcomeKind.Done, (await Alerts.UpdateRuleAsync(rule, edit, TestActors.Operator)).Kind);
        _clock.Advance(TimeSpan.FromSeconds(1));
        await SendAsync(client, id, 2, disk: 85);

        var alerts = await AlertsAsync(deviceId);
        Assert.Equal([(false, AlertSeverity.Warning), (true, AlertSeverity.Critical)],
            alerts.Select(a => (a.IsOpen, a.Severity)));
    }

    [Fact]
    public async Task OfflineRule_FiresAfterThresholdOnTheClock_ResolvesWhenBack()
    {
        await CreateRuleAsync(new AlertRuleInput("Gone", AlertKind.Offline, 10, AlertSeverity.Warning, null));
        var (id, secret) = await ApprovedDevice.EnrolAsync(_portal, "wandering");
        var deviceId = Guid.ParseExact(id, "N");

        // Approved, not yet connected with its credential: it has not gone offline, it has not arrived.
        _clock.Advance(TimeSpan.FromMinutes(11));
        await Engine.SweepAsync();
        Assert.Empty(await AlertsAsync(deviceId));

        var (client, _) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, secret);
        await client.PublishAsync(Topics.Status(id), new DeviceStatus(DeviceState.Online), FleetJson.Default.DeviceStatus);
        await client.DisposeAsync();
        await _portal.WaitForAsync(async () => (await _portal.FindDeviceAsync(d => d.Id == deviceId && !d.IsOnline)), what: "device offline");

        await Engine.SweepAsync();
        Assert.Empty(await AlertsAsync(deviceId)); // offline, but not for 10 minutes yet

        _clock.Advance(TimeSpan.FromMinutes(11));
        await Engine.SweepAsync();
        var fired = Assert.Single(await AlertsAsync(deviceId));
        Assert.Contains("offline for 11 min", fired.Message, StringComparison.Ordinal);
        Assert.Contains("(limit 10 min)", fired.Message, StringComparison.Ordinal);

        _clock.Advance(TimeSpan.FromMinutes(5));
        await Engine.SweepAsync();
        Assert.Single(await AlertsAsync(deviceId));

        var (back, _) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, secret);
        await using var __ = back;
        await back.PublishAsync(Topics.Status(id), new DeviceStatus(DeviceState.Online), FleetJson.Default.DeviceStatus);
        await Engine.SweepAsync();
        Assert.False(Assert.Single(await AlertsAsync(deviceId)).IsOpen);
    }

    [Fact]
    public async Task Alert_AcknowledgedAndResolvedByOperator_HelpDeskRefused()
    {
        await CreateRuleAsync(new AlertRuleInput("Hot", AlertKind.TemperatureAbove, 80, AlertSeverity.Warning, null));
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "hot");
        await using var _ = client;
        await SendAsync(client, id, 1, celsius: 91);
        var alert = Assert.Single(await AlertsAsync(Guid.ParseExact(id, "N")));

        Assert.Equal(OutcomeKind.Forbidden, (await Alerts.AcknowledgeAsync(alert.Id, TestActors.HelpDesk)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await Alerts.ResolveAsync(alert.Id, TestActors.HelpDesk)).Kind);
        Assert.Equal(OutcomeKind.Done, (await Alerts.AcknowledgeAsync(alert.Id, TestActors.Operator)).Kind);
        Assert.Equal(OutcomeKind.Done, (await Alerts.ResolveAsync(alert.Id, TestActors.Operator)).Kind);

        var after = Assert.Single(await AlertsAsync(Guid.ParseExact(id, "N")));
        Assert.Equal(("tester", "tester", false), (after.AcknowledgedBy, after.ResolvedBy, after.IsOpen));
        Assert.Equal(0, _portal.Services.GetRequiredService<AlertNotifier>().OpenCount);
    }

    [Fact]
    public async Task Rule_InvalidInput_ErrorsByField()
    {
        var result = await Alerts.CreateRuleAsync(new AlertRuleInput("", AlertKind.DiskAbove, 150, AlertSeverity.Info, 999), TestActors.Operator);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Equal(["groupId", "name", "threshold"], result.Result.ByLocation().Keys.Order());
    }

    private async Task<int> CreateRuleAsync(AlertRuleInput input)
    {
        var result = await Alerts.CreateRuleAsync(input, TestActors.Operator);
        Assert.Equal(OutcomeKind.Done, result.Kind);
        return result.Value;
    }

    /// <summary>Publishes a report (acknowledged = committed) and evaluates the device's rules.</summary>
    private async Task SendAsync(TestMqttClient client, string id, long sequence, double disk = 40, double celsius = 45)
    {
        var code = await client.PublishAsync(Topics.Health(id), HealthIngestTests.Report(sequence, _clock.GetUtcNow(), diskUsedPercent: disk, celsius: celsius), FleetJson.Default.HealthReport);
        Assert.Equal(MQTTnet.MqttClientPublishReasonCode.Success, code);
        await Engine.EvaluateDevicesAsync([Guid.ParseExact(id, "N")]);
    }

    private async Task<List<AlertInstance>> AlertsAsync(Guid deviceId)
    {
        await using var db = await _portal.CreateDbAsync();
        return await db.Alerts.AsNoTracking().Where(a => a.DeviceId == deviceId).OrderBy(a => a.Id).ToListAsync();
    }
}
