using System.Globalization;
using System.Text.Json;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Tests.Health;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Alerts;

/// <summary>
/// Alerts reach people: on a new install a default rule fires and a real webhook receiver gets a signed JSON
/// notification, a real SMTP server gets the e-mail; a failed delivery is retried after its back-off; a snoozed
/// rule records its alert and sends nothing.
/// </summary>
public sealed class AlertNotificationTests
{
    [Fact]
    public async Task DefaultDiskRule_NewInstall_WebhookGetsSignedNotificationOnFireAndResolve()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var portal = await PortalInstance.StartAsync();
        var (channel, secret) = await AddChannelAsync(portal, ChannelKind.Webhook, receiver.Url.ToString());
        var rule = await AttachToDefaultAsync(portal, AlertKind.DiskAbove, channel);
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, "full-disk");
        await using var _ = client;

        // No explicit evaluation: the committed report triggers the engine, the engine the dispatcher.
        await client.PublishAsync(Topics.Health(id), HealthIngestTests.Report(1, diskUsedPercent: 94),
            FleetJson.Default.HealthReport);
        var fired = await receiver.NextAsync();

        Assert.Equal(ChannelSecrets.Sign(secret!, fired.Body), fired.Headers[NotificationSender.SignatureHeader]);
        Assert.NotEqual(ChannelSecrets.Sign("another-secret", fired.Body),
            fired.Headers[NotificationSender.SignatureHeader]);
        Assert.StartsWith("application/json", fired.Headers["Content-Type"], StringComparison.Ordinal);
        using var body = JsonDocument.Parse(fired.Body);
        var root = body.RootElement;
        Assert.Equal(("Fired", "DiskAbove", "Critical", rule.Id, "full-disk"), (root.GetProperty("event").GetString(),
            root.GetProperty("kind").GetString(), root.GetProperty("severity").GetString(),
            root.GetProperty("ruleId").GetInt32(), root.GetProperty("hostname").GetString()));
        Assert.Equal(Guid.ParseExact(id, "N"), root.GetProperty("deviceId").GetGuid());
        Assert.Contains("94 % full", root.GetProperty("message").GetString(), StringComparison.Ordinal);

        await client.PublishAsync(Topics.Health(id), HealthIngestTests.Report(2, diskUsedPercent: 40),
            FleetJson.Default.HealthReport);
        var resolved = await receiver.NextAsync();
        Assert.Equal(ChannelSecrets.Sign(secret!, resolved.Body), resolved.Headers[NotificationSender.SignatureHeader]);
        using var resolvedBody = JsonDocument.Parse(resolved.Body);
        Assert.Equal("Resolved", resolvedBody.RootElement.GetProperty("event").GetString());

        // The delivery log, as the Admin sees it, once the dispatcher has recorded the second answer.
        await WaitForDeliveryAsync(portal, d => d.Event == AlertEvent.Resolved && d.Status == DeliveryStatus.Delivered);
        var log = (await portal.Services.GetRequiredService<NotificationService>()
            .DeliveriesAsync(TestActors.Admin)).Value!;
        Assert.Equal(
            [(AlertEvent.Resolved, DeliveryStatus.Delivered, 1), (AlertEvent.Fired, DeliveryStatus.Delivered, 1)],
            log.Select(d => (d.Event, d.Status, d.Attempts)));
    }

    [Fact]
    public async Task DefaultTemperatureRule_EmailChannel_SmtpServerGetsTheMail()
    {
        await using var smtp = await SmtpReceiver.StartAsync();
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Alerts:SmtpHost"] = "127.0.0.1",
            ["Fleet:Alerts:SmtpPort"] = smtp.Port.ToString(CultureInfo.InvariantCulture),
            ["Fleet:Alerts:SmtpSecurity"] = "None",
            ["Fleet:Alerts:SmtpFrom"] = "fleet@example.test",
        });
        var (channel, secret) =
            await AddChannelAsync(portal, ChannelKind.Email, "ops@example.test, oncall@example.test");
        Assert.Null(secret);
        await AttachToDefaultAsync(portal, AlertKind.TemperatureAbove, channel);
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, "hot-box");
        await using var _ = client;

        await client.PublishAsync(Topics.Health(id), HealthIngestTests.Report(1, celsius: 91),
            FleetJson.Default.HealthReport);
        var mail = await smtp.NextAsync();

        Assert.Equal("fleet@example.test", mail.From.Mailboxes.Single().Address);
        Assert.Equal(["ops@example.test", "oncall@example.test"], mail.To.Mailboxes.Select(m => m.Address));
        Assert.Contains("Warning alert fired", mail.Subject, StringComparison.Ordinal);
        Assert.Contains("hot-box: 91 °C (limit 80 °C)", mail.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Webhook_Answers500_RetriedAfterBackOffThenDelivered()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Statuses.Enqueue(500);
        await using var portal = await PortalInstance.StartAsync(time: clock);
        var dispatcher = portal.Services.GetRequiredService<AlertDispatcher>();
        var (channel, _) = await AddChannelAsync(portal, ChannelKind.Webhook, receiver.Url.ToString());
        await AttachToDefaultAsync(portal, AlertKind.DiskAbove, channel);
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, "flaky-receiver");
        await using var _ = client;

        await client.PublishAsync(Topics.Health(id),
            HealthIngestTests.Report(1, clock.GetUtcNow(), diskUsedPercent: 95),
            FleetJson.Default.HealthReport);
        await receiver.NextAsync(); // answered 500
        var failed = await WaitForDeliveryAsync(portal, d => d.Attempts == 1);
        Assert.Equal((DeliveryStatus.Pending, "HTTP 500 Internal Server Error"), (failed.Status, failed.LastError));
        Assert.Equal(clock.GetUtcNow().AddSeconds(30), failed.NextAttemptAt);

        // Not due yet: nothing is sent before the back-off ends.
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(0, await dispatcher.DeliverDueAsync());
        Assert.Equal(0, receiver.Waiting);

        // Due now: the dispatcher's own timer (on this clock) or this call sends it, once.
        clock.Advance(TimeSpan.FromSeconds(1));
        await dispatcher.DeliverDueAsync();
        await receiver.NextAsync(); // answered 200
        var delivered = await WaitForDeliveryAsync(portal, d => d.Status == DeliveryStatus.Delivered);
        Assert.Equal((2, (string?)null, clock.GetUtcNow()),
            (delivered.Attempts, delivered.LastError, delivered.DeliveredAt));
    }

    [Fact]
    public async Task SnoozedRule_Fires_AlertRecordedButNoNotification_UntilSnoozeEnds()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var portal = await PortalInstance.StartAsync(time: clock);
        var engine = portal.Services.GetRequiredService<AlertEngine>();
        var alerts = portal.Services.GetRequiredService<AlertService>();
        var (channel, _) = await AddChannelAsync(portal, ChannelKind.Webhook, receiver.Url.ToString());
        var rule = await AttachToDefaultAsync(portal, AlertKind.DiskAbove, channel);
        Assert.Equal(OutcomeKind.Done,
            (await alerts.SnoozeRuleAsync(rule.Id, TimeSpan.FromHours(1), TestActors.Operator)).Kind);

        var (quiet, quietClient) = await ApprovedDevice.ConnectAsync(portal, "snoozed");
        await using var _ = quietClient;
        await quietClient.PublishAsync(Topics.Health(quiet),
            HealthIngestTests.Report(1, clock.GetUtcNow(), diskUsedPercent: 95),
            FleetJson.Default.HealthReport);
        await engine.EvaluateDevicesAsync([Guid.ParseExact(quiet, "N")]);
        Assert.Single(await alerts.ListAsync(openOnly: true, Guid.ParseExact(quiet, "N")));
        await using (var db = await portal.CreateDbAsync())
        {
            Assert.Empty(await db.AlertDeliveries.ToListAsync());
        }

        // After the snooze, the next alert of the rule is sent; the snoozed one never was.
        clock.Advance(TimeSpan.FromHours(1));
        var (loud, loudClient) = await ApprovedDevice.ConnectAsync(portal, "after-snooze");
        await using var __ = loudClient;
        await loudClient.PublishAsync(Topics.Health(loud),
            HealthIngestTests.Report(1, clock.GetUtcNow(), diskUsedPercent: 95),
            FleetJson.Default.HealthReport);
        await engine.EvaluateDevicesAsync([Guid.ParseExact(loud, "N")]);
        using var body = JsonDocument.Parse((await receiver.NextAsync()).Body);
        Assert.Equal("after-snooze", body.RootElement.GetProperty("hostname").GetString());
        Assert.Equal(0, receiver.Waiting);
    }

    [Fact]
    public void SilenceWindow_WrapsMidnight_QuietInsideOnly()
    {
        var rule = new AlertRule { Name = "r", SilenceFrom = new TimeOnly(22, 0), SilenceTo = new TimeOnly(6, 0) };
        var day = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

        Assert.True(AlertDispatcher.IsQuiet(rule, day.AddHours(23)));
        Assert.True(AlertDispatcher.IsQuiet(rule, day.AddHours(5).AddMinutes(59)));
        Assert.False(AlertDispatcher.IsQuiet(rule, day.AddHours(6)));
        Assert.False(AlertDispatcher.IsQuiet(rule, day.AddHours(21).AddMinutes(59)));
    }

    internal static async Task<(int Id, string? Secret)> AddChannelAsync(
        PortalInstance portal, ChannelKind kind, string target)
    {
        var created = await portal.Services.GetRequiredService<NotificationService>()
            .CreateAsync(new ChannelInput($"{kind} channel", kind, target), TestActors.Admin);
        Assert.Equal(OutcomeKind.Done, created.Kind);
        return (created.Value!.Id, created.Value.Secret);
    }

    /// <summary>Names the channel in the default rule of this kind, as an operator would on the Rules tab.</summary>
    internal static async Task<AlertRule> AttachToDefaultAsync(PortalInstance portal, AlertKind kind, int channel)
    {
        var alerts = portal.Services.GetRequiredService<AlertService>();
        var rule = (await alerts.RulesAsync()).Single(r => r.Kind == kind);
        var input = AlertRuleInput.From(rule) with { ChannelIds = [channel] };
        Assert.Equal(OutcomeKind.Done, (await alerts.UpdateRuleAsync(rule.Id, input, TestActors.Operator)).Kind);
        return rule;
    }

    private static async Task<AlertDelivery> WaitForDeliveryAsync(
        PortalInstance portal, Func<AlertDelivery, bool> match) =>
        await portal.WaitForAsync(async () =>
        {
            await using var db = await portal.CreateDbAsync();
            return (await db.AlertDeliveries.AsNoTracking().ToListAsync()).FirstOrDefault(match);
        }, what: "delivery");
}
