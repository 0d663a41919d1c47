using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Power;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Portal.Tests.Power;

/// <summary>
/// The power plan evaluator on a real portal (SQLite, broker, command queue) with a fake clock: the load must stay
/// past its threshold for the hold time before one device is powered off, the minimum stays on (and is woken back
/// through a relay), and a schedule follows its cron entries in its time zone. Each evaluation is recorded for the
/// group's chart.
/// </summary>
public sealed class PowerEvaluatorTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task LoadBelowThreshold_PowersOffTheIdlestDeviceOnlyAfterTheHoldTime()
    {
        var clock = new FakeTimeProvider(Noon);
        await using var portal = await StartAsync(clock);
        var devices = await OnlineAsync(portal, clock, ("idle-1", 5), ("idle-2", 8), ("idle-3", 10));
        await using var _ = new Disconnect(devices);
        await SetPlanAsync(portal, new PowerPlanInput(PowerPlanMode.Load, 1, 20, 80, HoldMinutes: 10));

        var first = await EvaluateAsync(portal);
        clock.Advance(TimeSpan.FromMinutes(9));
        var beforeHold = await EvaluateAsync(portal);
        clock.Advance(TimeSpan.FromMinutes(1));
        var held = await EvaluateAsync(portal);
        var settling = await EvaluateAsync(portal);

        Assert.Equal((3, 0), (first.Target, first.PowerOff));
        Assert.Equal((3, 0), (beforeHold.Target, beforeHold.PowerOff));
        Assert.Equal((2, 1), (held.Target, held.PowerOff));
        Assert.Contains("load 7.7 % below 20 % for 10 min; powering off idle-1", held.Why, StringComparison.Ordinal);
        Assert.Equal((2, 0), (settling.Target, settling.PowerOff));
        var command = Assert.Single(await CommandsAsync(portal, CommandKinds.PowerOff));
        Assert.Equal((devices[0].Id, "system"), (command.DeviceId, command.RequestedBy));

        var history = await portal.Services.GetRequiredService<PowerPlanService>()
            .HistoryAsync(DeviceGroup.DefaultId, Noon, Token);
        Assert.Equal([3, 3, 2, 2], history.Select(p => p.PlannedOn));
        Assert.Equal([3, 3, 3, 3], history.Select(p => p.ActualOn));
        Assert.All(history, p => Assert.Equal(3, p.Devices));
    }

    [Fact]
    public async Task MinimumOn_KeptUnderLowLoad_AndWokenThroughARelayWhenADeviceGoes()
    {
        var clock = new FakeTimeProvider(Noon);
        await using var portal = await StartAsync(clock);
        var devices = await OnlineAsync(portal, clock, ("keep-1", 2), ("keep-2", 3));
        await using var _ = new Disconnect(devices);
        await SetPlanAsync(portal, new PowerPlanInput(PowerPlanMode.Load, 2, 20, 80, HoldMinutes: 5));

        await EvaluateAsync(portal);
        clock.Advance(TimeSpan.FromMinutes(30));
        var lowForLong = await EvaluateAsync(portal);
        await ReportingDevice.OfflineAsync(portal, devices[1].Id, devices[1].Client);
        var belowMinimum = await EvaluateAsync(portal);

        Assert.Equal((2, 0, 0), (lowForLong.Target, lowForLong.PowerOff, lowForLong.Wake));
        Assert.Contains("at least 2 stay on", lowForLong.Why, StringComparison.Ordinal);
        Assert.Empty(await CommandsAsync(portal, CommandKinds.PowerOff));
        Assert.Equal((2, 1), (belowMinimum.Target, belowMinimum.Wake));
        Assert.Contains("waking keep-2", belowMinimum.Why, StringComparison.Ordinal);
        var wake = Assert.Single(await CommandsAsync(portal, CommandKinds.WakeOnLan));
        Assert.Equal((devices[0].Id, "system"), (wake.DeviceId, wake.RequestedBy));
        Assert.Contains("\"10.9.0.255\"", wake.ArgumentsJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schedule_InItsTimeZone_FollowsTheEntryThatStartedLast()
    {
        var clock = new FakeTimeProvider(Noon);
        await using var portal = await StartAsync(clock);
        var devices = await OnlineAsync(portal, clock, ("day-1", 50), ("day-2", 50), ("day-3", 50));
        await using var _ = new Disconnect(devices);
        await SetPlanAsync(portal, new PowerPlanInput(PowerPlanMode.Schedule, 1,
            Schedule: "# weekdays and weekends alike\n0 8 * * * = 3\n0 20 * * * = 1", TimeZone: "Europe/Paris"));

        var midday = await EvaluateAsync(portal);                 // 13:00 in Paris: the 08:00 entry
        clock.Advance(TimeSpan.FromHours(6.5));
        var evening = await EvaluateAsync(portal);                // 19:30 in Paris (18:30 UTC)
        clock.Advance(TimeSpan.FromMinutes(30));
        var night = await EvaluateAsync(portal);                  // 20:00 in Paris: the 20:00 entry

        Assert.Equal((3, 0), (midday.Target, midday.PowerOff));
        Assert.Equal((3, 0), (evening.Target, evening.PowerOff));
        Assert.Equal((1, 2), (night.Target, night.PowerOff));
        Assert.Contains("the schedule wants 1 on", night.Why, StringComparison.Ordinal);
        Assert.Equal(2, (await CommandsAsync(portal, CommandKinds.PowerOff)).Count);
    }

    [Fact]
    public async Task SetPlan_HelpDeskOrBadInput_RefusedAndAudited()
    {
        await using var portal = await PortalInstance.StartAsync();
        var plans = portal.Services.GetRequiredService<PowerPlanService>();
        var input = new PowerPlanInput(PowerPlanMode.Load, 1, 20, 80);

        var helpDesk = await plans.SetAsync(DeviceGroup.DefaultId, input, TestActors.HelpDesk, Token);
        var operatorResult = await plans.SetAsync(DeviceGroup.DefaultId, input, TestActors.Operator, Token);
        var inverted = await plans.SetAsync(DeviceGroup.DefaultId, input with { LowCpuPercent = 90 },
            TestActors.Admin, Token);
        var badCron = await plans.SetAsync(DeviceGroup.DefaultId, new PowerPlanInput(PowerPlanMode.Schedule, 0,
            Schedule: "0 8 * * * = 2\n61 * * * * = 1", TimeZone: "Nowhere/Atlantis"), TestActors.Admin, Token);
        var saved = await plans.SetAsync(DeviceGroup.DefaultId, input, TestActors.Admin, Token);

        Assert.Equal((OutcomeKind.Forbidden, OutcomeKind.Forbidden), (helpDesk.Kind, operatorResult.Kind));
        Assert.Equal("Above the low threshold.", inverted.ErrorFor("highCpuPercent"));
        Assert.Equal(OutcomeKind.Invalid, badCron.Kind);
        Assert.Contains(badCron.Errors, e => e is { Field: "schedule", Line: 2 });
        Assert.NotNull(badCron.ErrorFor("timeZone"));
        Assert.True(saved.Succeeded, saved.Message);
        await using var db = await portal.CreateDbAsync();
        var audit = await db.AuditEntries.AsNoTracking().Where(a => a.EntityType == PowerPlanService.EntityType)
            .OrderBy(a => a.Id).Select(a => new { a.Actor, a.Outcome, a.After }).ToListAsync(Token);
        Assert.Equal(3, audit.Count);
        Assert.Equal([AuditOutcome.Denied, AuditOutcome.Denied, AuditOutcome.Succeeded],
            audit.Select(a => a.Outcome));
        Assert.Equal("load: off below 20 %, on above 80 % for 15 min, at least 1 on", audit[2].After);
    }

    private static Task<PortalInstance> StartAsync(FakeTimeProvider clock) => PortalInstance.StartAsync(
        new Dictionary<string, string?>
        {
            // The tests evaluate by hand, and the fake clock's jumps must not make devices stale.
            ["Fleet:Power:EvaluationSeconds"] = "86400",
            ["Fleet:Power:SettleMinutes"] = "5",
            ["Fleet:Devices:OfflineTimeoutSeconds"] = "864000",
        },
        time: clock);

    private static async Task<List<(Guid Id, TestMqttClient Client)>> OnlineAsync(
        PortalInstance portal, FakeTimeProvider clock, params (string Hostname, double Cpu)[] devices)
    {
        var result = new List<(Guid, TestMqttClient)>();
        for (var i = 0; i < devices.Length; i++)
        {
            result.Add(await ReportingDevice.ConnectAsync(portal, devices[i].Hostname, $"52:54:00:00:01:{i:x2}",
                $"10.9.0.{i + 5}/24", devices[i].Cpu, clock.GetUtcNow()));
        }

        return result;
    }

    private static async Task SetPlanAsync(PortalInstance portal, PowerPlanInput input)
    {
        var result = await portal.Services.GetRequiredService<PowerPlanService>()
            .SetAsync(DeviceGroup.DefaultId, input, TestActors.Admin, Token);
        Assert.True(result.Succeeded, result.Message);
    }

    private static async Task<PowerDecision> EvaluateAsync(PortalInstance portal) =>
        (await portal.Services.GetRequiredService<PowerEvaluator>().EvaluateAsync(Token))[DeviceGroup.DefaultId];

    private static async Task<List<DeviceCommand>> CommandsAsync(PortalInstance portal, string kind)
    {
        await using var db = await portal.CreateDbAsync();
        return await db.DeviceCommands.AsNoTracking().Where(c => c.Kind == kind).ToListAsync(Token);
    }

    /// <summary>Disconnects the test devices still connected at the end of a test.</summary>
    private sealed class Disconnect(List<(Guid Id, TestMqttClient Client)> devices) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var (_, client) in devices)
            {
                await client.DisposeAsync();
            }
        }
    }
}
