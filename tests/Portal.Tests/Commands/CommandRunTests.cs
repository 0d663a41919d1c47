using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Commands.Runs;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Commands;

/// <summary>
/// Bulk runs on the real portal with simulated devices (the agent's <c>simulate</c> command in process) answering
/// over the real broker: the runner's concurrency, threshold pause, cancel and restart.
/// </summary>
public sealed class CommandRunTests
{
    [Fact]
    public async Task Run_ConcurrencyFive_NeverMoreInFlightAndAllSucceed()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>(
            SimulatedFleetHost.PortalSettings));
        await using var fleet = await SimulatedFleetHost.StartAsync(portal, 40, null, "--command-seconds", "0.2");
        using var watch = new InFlightWatch(portal.Services.GetRequiredService<CommandNotifier>());

        var id = await StartAsync(portal, new CommandRunTarget(GroupId: DeviceGroup.DefaultId), concurrency: 5);
        var done = await WaitForRunAsync(portal, id, r => r.State == CommandRunState.Completed, "completed");

        Assert.Equal(40, done.Counts.Succeeded);
        Assert.True(watch.Max >= 5, $"at most {watch.Max} in flight: the limit was never reached");

        // Each command was on its device from delivery to its result, within the time it was released: never more
        // than five of those spans overlap.
        await using var db = await portal.CreateDbAsync();
        var spans = await db.DeviceCommands.AsNoTracking().Where(c => c.RunId == id)
            .Select(c => new { c.DeliveredAt, c.FinishedAt }).ToListAsync();
        var edges = spans
            .SelectMany(s => new[] { (At: s.DeliveredAt!.Value, Step: 1), (At: s.FinishedAt!.Value, Step: -1) })
            .OrderBy(e => e.At).ThenBy(e => e.Step);
        var (open, most) = (0, 0);
        foreach (var edge in edges)
        {
            open += edge.Step;
            most = Math.Max(most, open);
        }

        Assert.InRange(most, 1, 5);
    }

    [Fact]
    public async Task Run_FailuresReachThreshold_PausesAndResumedRunCompletes()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>(
            SimulatedFleetHost.PortalSettings));
        await using var fleet = await SimulatedFleetHost.StartAsync(
            portal, 100, null, "--command-seconds", "0.2", "--command-failure-percent", "5");

        var id = await StartAsync(portal, new CommandRunTarget(GroupId: DeviceGroup.DefaultId), concurrency: 10,
            failureCount: 3);
        var paused = await WaitForRunAsync(portal, id, r => r.State == CommandRunState.Paused, "paused");
        Assert.InRange(paused.Counts.Failed, 3, 5);
        Assert.True(paused.Counts.Held > 0, "a paused run holds the rest");
        Assert.StartsWith("automatic:", paused.PausedReason, StringComparison.Ordinal);
        var runs = portal.Services.GetRequiredService<CommandRunService>();

        Assert.Equal(OutcomeKind.Done, (await runs.ResumeAsync(id, TestActors.Operator)).Kind);
        var done = await WaitForRunAsync(portal, id, r => r.State == CommandRunState.Completed, "completed");

        Assert.Equal((95, 5), (done.Counts.Succeeded, done.Counts.Failed));
        await using var db = await portal.CreateDbAsync();
        var actions = await db.AuditEntries.Where(e => e.EntityId == id.ToString("N"))
            .OrderBy(e => e.Id).Select(e => new { e.Action, e.Actor }).ToListAsync();
        Assert.Equal(
            [("command-run.start", "tester"), ("command-run.pause", "system"), ("command-run.resume", "tester")],
            actions.Select(a => (a.Action, a.Actor)));
    }

    [Fact]
    public async Task Cancel_RunWithHeldCommands_HeldOnesCancelledNeverDelivered()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>(
            SimulatedFleetHost.PortalSettings));
        await using var fleet = await SimulatedFleetHost.StartAsync(portal, 12, null, "--command-seconds", "2");
        var id = await StartAsync(portal, new CommandRunTarget(GroupId: DeviceGroup.DefaultId), concurrency: 2);
        await WaitForRunAsync(portal, id, r => r.Counts.Running == 2, "two running");
        var runs = portal.Services.GetRequiredService<CommandRunService>();

        Assert.Equal(OutcomeKind.Done, (await runs.CancelAsync(id, TestActors.Operator)).Kind);
        var finished = await WaitForRunAsync(portal, id, r => r.Counts.InFlight == 0, "in-flight ones finished");

        Assert.Equal(CommandRunState.Cancelled, finished.State);
        Assert.Equal((2, 10, 0), (finished.Counts.Succeeded, finished.Counts.Cancelled, finished.Counts.Held));
        await using var db = await portal.CreateDbAsync();
        Assert.False(await db.DeviceCommands.AnyAsync(
            c => c.RunId == id && c.State == CommandState.Cancelled && c.DeliveredAt != null));
        Assert.Equal(OutcomeKind.Conflict, (await runs.ResumeAsync(id, TestActors.Operator)).Kind);
    }

    [Fact]
    public async Task Restart_RunningRun_NewPortalCarriesOnToTheEnd()
    {
        var settings = new Dictionary<string, string?>(SimulatedFleetHost.PortalSettings);
        var first = await PortalInstance.StartAsync(settings);
        var (directory, port) = (first.DataDirectory, first.MqttPort);
        await using var fleet = await SimulatedFleetHost.StartAsync(first, 12, null, "--command-seconds", "0.5");
        Guid id;
        try
        {
            id = await StartAsync(first, new CommandRunTarget(GroupId: DeviceGroup.DefaultId), concurrency: 2);
            await WaitForRunAsync(first, id, r => r.Counts.Succeeded >= 2, "two succeeded");
        }
        finally
        {
            await first.DisposeAsync();
        }

        await using var second = await PortalInstance.StartAsync(settings, directory, port);
        var done = await WaitForRunAsync(second, id, r => r.State == CommandRunState.Completed, "completed");

        Assert.Equal(12, done.Counts.Succeeded + done.Counts.Failed);
        Assert.Equal(0, done.Counts.Held);
    }

    [Fact]
    public async Task Start_HelpDeskOrOperatorPowerOff_RefusedUpfrontNothingCreated()
    {
        await using var portal = await PortalInstance.StartAsync();
        var (deviceId, _) = await ApprovedDevice.EnrolAsync(portal, "edge-1");
        var runs = portal.Services.GetRequiredService<CommandRunService>();
        var target = new CommandRunTarget([Guid.Parse(deviceId)]);

        var helpDesk = await runs.StartAsync(
            new CommandRunInput(new CommandOrder(CommandKinds.Ping), target), TestActors.HelpDesk);
        var powerOff = await runs.StartAsync(
            new CommandRunInput(new CommandOrder(CommandKinds.PowerOff), target), TestActors.Operator);

        Assert.Equal((OutcomeKind.Forbidden, OutcomeKind.Forbidden), (helpDesk.Kind, powerOff.Kind));
        await using var db = await portal.CreateDbAsync();
        Assert.Empty(await db.CommandRuns.ToListAsync());
        Assert.Empty(await db.DeviceCommands.ToListAsync());
    }

    private static async Task<Guid> StartAsync(
        PortalInstance portal, CommandRunTarget target, int concurrency, int? failureCount = null)
    {
        var runs = portal.Services.GetRequiredService<CommandRunService>();
        var order = new CommandOrder(CommandKinds.Reboot, Reason: "test run");
        var started = await runs.StartAsync(
            new CommandRunInput(order, target, concurrency, failureCount, failureCount is null ? 100 : null),
            TestActors.Operator);
        Assert.True(started.Succeeded, started.Message);
        return started.Value;
    }

    internal static Task<CommandRunView> WaitForRunAsync(
        PortalInstance portal, Guid id, Func<CommandRunView, bool> condition, string what) =>
        portal.WaitForAsync(
            async () => await portal.Services.GetRequiredService<CommandRunService>().GetAsync(id) is { } run
                && condition(run) ? run : null,
            TimeSpan.FromMinutes(2),
            what);

    /// <summary>Follows every command change and keeps the most commands in flight at once.</summary>
    private sealed class InFlightWatch : IDisposable
    {
        private readonly CommandNotifier _notifier;
        private readonly Dictionary<Guid, CommandState> _states = [];

        public InFlightWatch(CommandNotifier notifier)
        {
            _notifier = notifier;
            _notifier.Changed += OnChanged;
        }

        /// <summary>The most seen in flight at once (a late notification can only make it larger).</summary>
        public int Max { get; private set; }

        public void Dispose() => _notifier.Changed -= OnChanged;

        private void OnChanged(IReadOnlyList<CommandChange> changes)
        {
            lock (_states)
            {
                foreach (var change in changes)
                {
                    // Notifications of two commits may arrive out of order: a state never moves back.
                    if (_states.TryGetValue(change.CommandId, out var known)
                        && CommandStates.Rank(known) >= CommandStates.Rank(change.State))
                    {
                        continue;
                    }

                    _states[change.CommandId] = change.State;
                }

                Max = Math.Max(Max, _states.Values.Count(s => s is CommandState.Queued or CommandState.Delivered
                    or CommandState.Running));
            }
        }
    }
}
