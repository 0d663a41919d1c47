using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Terminal;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Portal.Tests.Terminal;

/// <summary>
/// The terminal's protocol at the portal, with devices on the real broker: output reaches only the session it belongs
/// to, out-of-bounds messages are dropped with a reason, the time limit ends a session, and only an Admin opens one
/// on a group that allows it.
/// </summary>
public sealed class TerminalProtocolTests : IAsyncLifetime
{
    private PortalInstance _portal = null!;

    private TerminalService Terminals => _portal.Services.GetRequiredService<TerminalService>();

    public async ValueTask InitializeAsync()
    {
        _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            // The shortest limit the options allow, so that the time-limit test waits seconds, not minutes.
            ["Fleet:Terminal:MaxSessionSeconds"] = "10",
            ["Fleet:Terminal:IdleSeconds"] = "10",
        });
        Assert.True((await Terminals.SetGroupTerminalAsync(DeviceGroup.DefaultId, true, TestActors.Admin)).Succeeded);
    }

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Publish_AnotherDevicesTerminalTopics_RefusedByTheBroker()
    {
        var (_, mallory) = await OnlineDeviceAsync("mallory");
        await using var _ = mallory;
        var (victim, client) = await OnlineDeviceAsync("victim");
        await using var __ = client;
        var session = Guid.NewGuid().ToString("N");
        var output = new TerminalOutput(TerminalOutputKind.Data, 1, "forged");

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await mallory.PublishAsync(
            Topics.TerminalOutput(victim, session), output, FleetJson.Default.TerminalOutput));

        // Input is the portal's to send, even on the device's own topics.
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await client.PublishAsync(
            Topics.TerminalInput(victim, session), new TerminalInput(TerminalInputKind.Close),
            FleetJson.Default.TerminalInput));
    }

    [Fact]
    public async Task Output_ForAnotherDevicesSession_DroppedAndOnlyTheOwnersShown()
    {
        var (malloryId, mallory) = await OnlineDeviceAsync("mallory");
        await using var _ = mallory;
        var (victim, client) = await OnlineDeviceAsync("victim");
        await using var __ = client;
        var session = await OpenAsync(victim);
        var shown = Listen(session);

        // Mallory's own topic, the victim's session id.
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await mallory.PublishAsync(
            Topics.TerminalOutput(malloryId, session.Id), new TerminalOutput(TerminalOutputKind.Data, 1,
                "forged"), FleetJson.Default.TerminalOutput));
        Assert.Equal(MqttClientPublishReasonCode.Success, await client.PublishAsync(
            Topics.TerminalOutput(victim, session.Id), new TerminalOutput(TerminalOutputKind.Data, 1, "real"),
            FleetJson.Default.TerminalOutput));

        await _portal.WaitForAsync(() => Task.FromResult(shown.IsEmpty ? null : "shown"), what: "output shown");
        Assert.Equal(["real"], shown);
        await _portal.Logs.WaitForAsync(e => e.Message.Contains("is another device's", StringComparison.Ordinal));
        await Terminals.CloseAsync(session, "test done");
    }

    [Fact]
    public async Task Output_OverTheLimitOrUnreadable_DroppedWithReasonThenRepeatShownOnce()
    {
        var (device, client) = await OnlineDeviceAsync("chatty");
        await using var _ = client;
        var session = await OpenAsync(device);
        var shown = Listen(session);
        var topic = Topics.TerminalOutput(device, session.Id);

        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid, await client.PublishAsync(topic,
            new TerminalOutput(TerminalOutputKind.Data, 1, new string('x', Protocol.MaxTerminalDataLength + 1)),
            FleetJson.Default.TerminalOutput));
        Assert.Equal(MqttClientPublishReasonCode.PayloadFormatInvalid,
            await client.PublishAsync(topic, "{\"kind\":\"Data\""u8.ToArray()));
        var ok = new TerminalOutput(TerminalOutputKind.Data, 2, "fits");
        Assert.Equal(MqttClientPublishReasonCode.Success,
            await client.PublishAsync(topic, ok, FleetJson.Default.TerminalOutput));
        Assert.Equal(MqttClientPublishReasonCode.Success,
            await client.PublishAsync(topic, ok, FleetJson.Default.TerminalOutput));   // a QoS 1 redelivery
        var marker = new TerminalOutput(TerminalOutputKind.Data, 3, "marker");
        await client.PublishAsync(topic, marker, FleetJson.Default.TerminalOutput);

        await _portal.WaitForAsync(() => Task.FromResult(shown.Contains("marker") ? "ok" : null), what: "marker");
        Assert.Equal(["fits", "marker"], shown);
        await _portal.Logs.WaitForAsync(e => e.Message.Contains(
            $"over the {Protocol.MaxTerminalDataLength}-character limit", StringComparison.Ordinal));
        await _portal.Logs.WaitForAsync(e => e.Message.Contains("unreadable", StringComparison.Ordinal));
        await Terminals.CloseAsync(session, "test done");
    }

    [Fact]
    public async Task Open_DeviceStartsShell_KeysReachItAndTheTimeLimitEndsItAudited()
    {
        var (device, client) = await OnlineDeviceAsync("limited");
        await using var _ = client;
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await client.SubscribeAsync(
            Topics.TerminalInputFilter(device)));
        var session = await OpenAsync(device);
        var ended = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        session.Ended += reason => ended.TrySetResult(reason);

        var open = await ReceiveInputAsync(client, device, session);
        Assert.Equal(TerminalInputKind.Open, open.Kind);
        Assert.Equal((80, 24, 10, 10), (open.Columns, open.Rows, open.TimeLimitSeconds, open.IdleLimitSeconds));
        await client.PublishAsync(Topics.TerminalOutput(device, session.Id),
            new TerminalOutput(TerminalOutputKind.Opened, 1), FleetJson.Default.TerminalOutput);
        Assert.True((await Terminals.TypeAsync(session, "uptime\n")).Succeeded);
        Assert.Equal("uptime\n", (await ReceiveInputAsync(client, device, session)).Data);

        Assert.Equal("time limit", await ended.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(TerminalInputKind.Close, (await ReceiveInputAsync(client, device, session)).Kind);
        Assert.False((await Terminals.TypeAsync(session, "late\n")).Succeeded);
        await using var db = await _portal.CreateDbAsync();
        var entries = await db.AuditEntries.Where(a => a.EntityId == device && a.Action.StartsWith("terminal."))
            .OrderBy(a => a.Id).ToListAsync();
        Assert.Equal(["terminal.open", "terminal.end"], entries.Select(a => a.Action));
        Assert.All(entries, a => Assert.Equal(TestActors.Admin.Name, a.Actor));
        Assert.Contains("time limit; 7 characters typed", entries[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_OperatorHelpDeskOrGroupOff_RefusedAndAudited()
    {
        var (device, client) = await OnlineDeviceAsync("guarded");
        await using var _ = client;
        var id = Guid.ParseExact(device, "N");

        foreach (var actor in new[] { TestActors.Operator, TestActors.HelpDesk })
        {
            var refused = await Terminals.OpenAsync(id, 80, 24, actor);
            Assert.Equal(OutcomeKind.Forbidden, refused.Result.Kind);
        }

        Assert.True((await Terminals.SetGroupTerminalAsync(DeviceGroup.DefaultId, false, TestActors.Admin)).Succeeded);
        try
        {
            var off = await Terminals.OpenAsync(id, 80, 24, TestActors.Admin);
            Assert.Equal(OutcomeKind.Forbidden, off.Result.Kind);
            Assert.Contains("off for group default", off.Result.Message, StringComparison.Ordinal);
        }
        finally
        {
            await Terminals.SetGroupTerminalAsync(DeviceGroup.DefaultId, true, TestActors.Admin);
        }

        await using var db = await _portal.CreateDbAsync();
        var denied = await db.AuditEntries.Where(a => a.Action == "terminal.open" && a.Outcome == AuditOutcome.Denied
            && a.EntityId == device).OrderBy(a => a.Id).Select(a => a.Actor).ToListAsync();
        Assert.Equal([TestActors.Operator.Name, TestActors.HelpDesk.Name, TestActors.Admin.Name], denied);
        // On at the start, then off and on again here.
        Assert.Equal(3, await db.AuditEntries.CountAsync(a => a.Action == "group.terminal"
            && a.Outcome == AuditOutcome.Succeeded && a.EntityId == "1"));
    }

    [Fact]
    public async Task Api_GroupSwitch_AdminOnlyAndReadableByAll()
    {
        foreach (var role in new[] { Roles.Operator, Roles.HelpDesk })
        {
            using var http = ApiTokens.Http(_portal, await ApiTokens.GetTokenAsync(_portal, role));
            using var refused = await http.PutAsJsonAsync("/api/v1/updates/groups/1/terminal",
                new TerminalSwitchDto(false));
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            using var read = await http.GetAsync(new Uri("/api/v1/updates/groups/1/terminal", UriKind.Relative));
            Assert.True((await read.Content.ReadFromJsonAsync<TerminalSwitchDto>())!.Enabled);
        }

        using var admin = ApiTokens.Http(_portal, await ApiTokens.GetTokenAsync(_portal, Roles.Admin));
        using var unknown = await admin.PutAsJsonAsync(
            "/api/v1/updates/groups/999/terminal", new TerminalSwitchDto(true));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.True(await Terminals.EnabledForGroupAsync(DeviceGroup.DefaultId));
    }

    private static ConcurrentQueue<string> Listen(TerminalSession session)
    {
        var shown = new ConcurrentQueue<string>();
        session.Output += shown.Enqueue;
        return shown;
    }

    private static async Task<TerminalInput> ReceiveInputAsync(
        TestMqttClient client, string device, TerminalSession session)
    {
        var message = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Topics.TerminalInput(device, session.Id), message.Topic);
        return JsonSerializer.Deserialize(message.Payload.ToArray(), FleetJson.Default.TerminalInput)!;
    }

    private async Task<TerminalSession> OpenAsync(string device)
    {
        var opened = await Terminals.OpenAsync(Guid.ParseExact(device, "N"), 80, 24, TestActors.Admin);
        Assert.True(opened.Succeeded, opened.Result.Message);
        return opened.Value!;
    }

    private async Task<(string DeviceId, TestMqttClient Client)> OnlineDeviceAsync(string hostname)
    {
        var (device, client) = await ApprovedDevice.ConnectAsync(_portal, hostname);
        await client.PublishAsync(Topics.Status(device), new DeviceStatus(DeviceState.Online),
            FleetJson.Default.DeviceStatus);
        var id = Guid.ParseExact(device, "N");
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == id && d.IsOnline), what: "online");
        return (device, client);
    }
}
