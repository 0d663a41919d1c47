using System.Net;
using System.Net.Http.Json;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Alerts;

/// <summary>
/// The default rules (created once), who may change rules and channels (server side and API), that every change is
/// audited, and the API other features use to raise an alert for a condition the engine does not evaluate.
/// </summary>
public sealed class AlertAdministrationTests
{
    [Fact]
    public async Task DefaultRules_NewInstall_CreatedOnce_ADeletedOneStaysDeletedAfterRestart()
    {
        var directory = Directory.CreateTempSubdirectory("fleet-alert-defaults-").FullName;
        var portal = await PortalInstance.StartAsync(dataDirectory: directory);
        var alerts = portal.Services.GetRequiredService<AlertService>();
        var rules = await alerts.RulesAsync();
        Assert.Equal(
            [AlertKind.Offline, AlertKind.DiskAbove, AlertKind.MemoryAbove, AlertKind.TemperatureAbove,
                AlertKind.FailedUnits, AlertKind.ConfigCannotRender],
            AlertKinds.Defaults.Select(d => d.Kind));
        Assert.Equal(AlertKinds.Defaults.Select(d => (d.Name, d.Kind, d.Threshold)).Order(),
            rules.Select(r => (r.Name, r.Kind, r.Threshold)).Order());
        var offline = rules.Single(r => r.Kind == AlertKind.Offline);
        Assert.Equal(OutcomeKind.Done, (await alerts.DeleteRuleAsync(offline.Id, TestActors.Admin)).Kind);
        await portal.DisposeAsync();

        await using var restarted = await PortalInstance.StartAsync(dataDirectory: directory);
        var after = await restarted.Services.GetRequiredService<AlertService>().RulesAsync();
        Assert.Equal(rules.Count - 1, after.Count);
        Assert.DoesNotContain(after, r => r.Kind == AlertKind.Offline);
        await using var db = await restarted.CreateDbAsync();
        Assert.Equal(rules.Count,
            await db.AuditEntries.CountAsync(a => a.Action == "alert-rule.create" && a.Actor == "system"));
    }

    [Fact]
    public async Task HelpDesk_ChangesNoRuleOrChannel_OperatorNoChannel_ServiceAndApi()
    {
        await using var portal = await PortalInstance.StartAsync();
        var alerts = portal.Services.GetRequiredService<AlertService>();
        var channels = portal.Services.GetRequiredService<NotificationService>();
        var rule = (await alerts.RulesAsync())[0];
        var (channel, _) = await AlertNotificationTests.AddChannelAsync(
            portal, ChannelKind.Webhook, "https://hooks.example.test/x");
        var input = AlertRuleInput.From(rule) with { Threshold = rule.Threshold + 1 };

        var helpDesk = TestActors.HelpDesk;
        Assert.Equal(OutcomeKind.Forbidden, (await alerts.CreateRuleAsync(input with { Name = "x" }, helpDesk)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await alerts.UpdateRuleAsync(rule.Id, input, helpDesk)).Kind);
        Assert.Equal(OutcomeKind.Forbidden,
            (await alerts.SnoozeRuleAsync(rule.Id, TimeSpan.FromHours(1), helpDesk)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await alerts.DeleteRuleAsync(rule.Id, helpDesk)).Kind);
        foreach (var actor in new[] { helpDesk, TestActors.Operator })
        {
            Assert.Equal(OutcomeKind.Forbidden, (await channels.ListAsync(actor)).Kind);
            Assert.Equal(OutcomeKind.Forbidden, (await channels.RevealSecretAsync(channel, actor)).Kind);
            Assert.Equal(OutcomeKind.Forbidden,
                (await channels.CreateAsync(new ChannelInput("x", ChannelKind.Email, "a@example.test"), actor)).Kind);
            Assert.Equal(OutcomeKind.Forbidden, (await channels.DeleteAsync(channel, actor)).Kind);
        }

        var token = await ApiTokens.GetTokenAsync(portal, Roles.HelpDesk);
        using var http = ApiTokens.Http(portal, token);
        using var put = await http.PutAsJsonAsync($"/api/v1/alert-rules/{rule.Id}", input);
        using var snooze = await http.PostAsJsonAsync($"/api/v1/alert-rules/{rule.Id}/snooze", new AlertSnooze(60));
        using var secret = await http.GetAsync(
            new Uri($"/api/v1/notification-channels/{channel}/secret", UriKind.Relative));
        Assert.Equal([HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Forbidden],
            new[] { put.StatusCode, snooze.StatusCode, secret.StatusCode });

        var unchanged = (await alerts.RulesAsync()).Single(r => r.Id == rule.Id);
        Assert.Equal((rule.Threshold, (DateTimeOffset?)null), (unchanged.Threshold, unchanged.SnoozedUntil));
        await using var db = await portal.CreateDbAsync();
        Assert.True(
            await db.AuditEntries.CountAsync(a => a.Outcome == AuditOutcome.Denied && a.Actor == helpDesk.Name) >= 8);
    }

    [Fact]
    public async Task EveryChange_Audited_SecretShownToAdminOnly()
    {
        await using var portal = await PortalInstance.StartAsync();
        var alerts = portal.Services.GetRequiredService<AlertService>();
        var channels = portal.Services.GetRequiredService<NotificationService>();
        var (channel, secret) = await AlertNotificationTests.AddChannelAsync(
            portal, ChannelKind.Webhook, "https://hooks.example.test/x");
        var rule = await AlertNotificationTests.AttachToDefaultAsync(portal, AlertKind.MemoryAbove, channel);
        Assert.Equal(OutcomeKind.Done,
            (await alerts.SnoozeRuleAsync(rule.Id, TimeSpan.FromHours(4), TestActors.Operator)).Kind);
        var shown = await channels.RevealSecretAsync(channel, TestActors.Admin);
        Assert.Equal(secret, shown.Value!.Secret);
        Assert.Equal(OutcomeKind.Done, (await channels.UpdateAsync(channel,
            new ChannelInput("renamed", ChannelKind.Webhook, "https://hooks.example.test/y", Enabled: false),
            TestActors.Admin)).Kind);
        Assert.Equal(OutcomeKind.Done, (await channels.DeleteAsync(channel, TestActors.Admin)).Kind);

        await using var db = await portal.CreateDbAsync();
        var audit = await db.AuditEntries.AsNoTracking()
            .Where(a => a.Outcome == AuditOutcome.Succeeded && a.Actor != "system" && a.Action != "user.create")
            .OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(
            ["notification-channel.create", "alert-rule.update", "alert-rule.snooze", "notification-channel.secret",
                "notification-channel.update", "notification-channel.delete"],
            audit.Select(a => a.Action));
        Assert.Contains("Memory above 90 %", audit[1].After, StringComparison.Ordinal);
        Assert.Contains($"channels=[{channel}]", audit[1].After, StringComparison.Ordinal);
        Assert.DoesNotContain(audit, a => (a.Before + a.After + a.Detail).Contains(secret!, StringComparison.Ordinal));
        Assert.Empty((await db.AlertRules.SingleAsync(r => r.Id == rule.Id)).ChannelIds); // the channel left the rule
        Assert.DoesNotContain(secret!, (await db.NotificationChannels.IgnoreQueryFilters().ToListAsync())
            .Select(c => c.ProtectedSecret ?? string.Empty));
    }

    [Fact]
    public async Task RaiseAndResolve_ConfigCannotRender_OneOpenAlertThenResolved()
    {
        await using var portal = await PortalInstance.StartAsync();
        var alerts = portal.Services.GetRequiredService<AlertService>();
        var (id, _) = await ApprovedDevice.EnrolAsync(portal, "no-site");
        var deviceId = Guid.ParseExact(id, "N");

        async Task<IEnumerable<AlertView>> RenderAlertsAsync(bool openOnly) =>
            (await alerts.ListAsync(openOnly, deviceId)).Where(a => a.Rule == "Config cannot render");
        await alerts.RaiseAsync(deviceId, AlertKind.ConfigCannotRender, "config 'sshd' lacks vars.site");
        await alerts.RaiseAsync(deviceId, AlertKind.ConfigCannotRender, "config 'sshd' lacks vars.site");
        var open = Assert.Single(await RenderAlertsAsync(true));
        Assert.Equal("Config cannot render: no-site: config 'sshd' lacks vars.site", open.Message);

        // The engine's own evaluation leaves it alone: only the caller decides.
        await portal.Services.GetRequiredService<AlertEngine>().EvaluateDevicesAsync([deviceId]);
        await portal.Services.GetRequiredService<AlertEngine>().SweepAsync();
        Assert.Single(await RenderAlertsAsync(true));

        await alerts.ResolveAsync(deviceId, AlertKind.ConfigCannotRender);
        Assert.Empty(await RenderAlertsAsync(true));
        Assert.Single(await RenderAlertsAsync(false));
        await Assert.ThrowsAsync<ArgumentException>(() => alerts.RaiseAsync(deviceId, AlertKind.DiskAbove, "x"));
    }
}
