using System.Net;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Updates.FleetLock;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Fleet.Tests;

namespace Fleet.Portal.Tests.Updates;

/// <summary>The FleetLock endpoints over real HTTP: a counting semaphore per group, as airlock keeps it.</summary>
public sealed class FleetLockTests(FleetLockTests.Fixture fixture) : IClassFixture<FleetLockTests.Fixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task PreReboot_TwoSlots_ThirdWaitsUntilASlotIsReleased()
    {
        var group = await UpdateTestSupport.GroupNameAsync(Portal, await UpdateTestSupport.CreateGroupAsync(Portal, slots: 2));

        var a = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("node-a", group));
        var b = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("node-b", group));
        var c = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("node-c", group));
        var again = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("node-a", group));
        var released = await UpdateTestSupport.FleetLockAsync(Portal, "steady-state", UpdateTestSupport.LockBody("node-a", group));
        var cAfter = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("node-c", group));

        Assert.Equal(HttpStatusCode.OK, a.Status);
        Assert.Equal(HttpStatusCode.OK, b.Status);
        Assert.Equal(HttpStatusCode.Conflict, c.Status);
        Assert.Equal(FleetLockService.SemaphoreFull, UpdateTestSupport.KindOf(c.Body));
        Assert.Equal(HttpStatusCode.OK, again.Status);       // recursive: holding a slot and asking again succeeds
        Assert.Equal(HttpStatusCode.OK, released.Status);
        Assert.Equal(HttpStatusCode.OK, cAfter.Status);
        Assert.Equal(["node-b", "node-c"], (await HoldersAsync(group)).Order());
    }

    [Fact]
    public async Task SteadyState_SlotNotHeld_Succeeds()
    {
        var group = await UpdateTestSupport.GroupNameAsync(Portal, await UpdateTestSupport.CreateGroupAsync(Portal));

        var (status, _) = await UpdateTestSupport.FleetLockAsync(Portal, "steady-state", UpdateTestSupport.LockBody("never-locked", group));

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task PreReboot_FixtureBodyInDefaultGroup_LocksAndUnlocks()
    {
        var body = SharedInterop.Fixture("fleetlock-request-body.json");

        var locked = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", body);
        var holders = await HoldersAsync(DeviceGroup.DefaultName);
        var unlocked = await UpdateTestSupport.FleetLockAsync(Portal, "steady-state", body);

        Assert.Equal(HttpStatusCode.OK, locked.Status);
        Assert.Equal(["c988d2509fdf5cdcbed39037c56406fb"], holders);
        Assert.Equal(HttpStatusCode.OK, unlocked.Status);
        Assert.Empty(await HoldersAsync(DeviceGroup.DefaultName));
    }

    [Theory]
    [InlineData(null, """{"client_params":{"id":"n1","group":"default"}}""")]
    [InlineData("false", """{"client_params":{"id":"n1","group":"default"}}""")]
    [InlineData("true", """{"client_params":{"id":"n1","group":"default"}""")]
    [InlineData("true", "not json")]
    [InlineData("true", """{"client_params":{"group":"default"}}""")]
    [InlineData("true", """{"client_params":{"id":"n1","group":""}}""")]
    [InlineData("true", """{"client_params":{"id":"n1","group":"no spaces allowed"}}""")]
    [InlineData("true", """{"id":"n1","group":"default"}""")]
    [InlineData("true", null)]
    public async Task PreReboot_BadHeaderOrBody_InvalidClientIdentity(string? header, string? body)
    {
        foreach (var operation in new[] { "pre-reboot", "steady-state" })
        {
            var (status, response) = await UpdateTestSupport.FleetLockAsync(Portal, operation, body, header);

            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(FleetLockService.InvalidClientIdentity, UpdateTestSupport.KindOf(response));
        }

        Assert.DoesNotContain("n1", await HoldersAsync(DeviceGroup.DefaultName));
    }

    [Fact]
    public async Task PreReboot_UnknownGroup_UnknownGroupError()
    {
        var locked = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("n2", "no-such-group"));
        var unlocked = await UpdateTestSupport.FleetLockAsync(Portal, "steady-state", UpdateTestSupport.LockBody("n2", "no-such-group"));

        Assert.Equal(HttpStatusCode.BadRequest, locked.Status);
        Assert.Equal(FleetLockService.UnknownGroup, UpdateTestSupport.KindOf(locked.Body));
        Assert.Equal(FleetLockService.UnknownGroup, UpdateTestSupport.KindOf(unlocked.Body));
    }

    [Fact]
    public async Task PreReboot_RacingForTheLastSlot_ExactlyOneWins()
    {
        var group = await UpdateTestSupport.GroupNameAsync(Portal, await UpdateTestSupport.CreateGroupAsync(Portal, slots: 3));
        await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("early-1", group));
        await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("early-2", group));
        using var start = new ManualResetEventSlim();

        var racers = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            start.Wait();
            return await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody($"racer-{i}", group));
        })).ToList();
        start.Set();
        var results = await Task.WhenAll(racers);

        Assert.Single(results, r => r.Status == HttpStatusCode.OK);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal(FleetLockService.SemaphoreFull, UpdateTestSupport.KindOf(r.Body)));
        Assert.Equal(3, (await HoldersAsync(group)).Count);
    }

    [Fact]
    public async Task PreReboot_OutsideMaintenanceWindow_RefusedUntilItOpens()
    {
        // The fixture's clock starts on Thursday 2026-11-26 12:00 UTC; the window opens Thursday 13:00 for half an hour.
        var window = new MaintenanceWindow(WeekDays.Thursday, new TimeOnly(13, 0), 30);
        var group = await UpdateTestSupport.GroupNameAsync(Portal, await UpdateTestSupport.CreateGroupAsync(Portal, window: window));
        var clock = fixture.Clock;
        var opens = new DateTimeOffset(clock.GetUtcNow().UtcDateTime.Date.AddHours(13), TimeSpan.Zero);
        Assert.True(clock.GetUtcNow() < opens, "the test expects to start before the window");

        var before = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("windowed", group));
        clock.SetUtcNow(opens.AddMinutes(10));
        var inside = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("windowed", group));
        clock.SetUtcNow(opens.AddMinutes(40));
        var stillHeld = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("windowed", group));
        var other = await UpdateTestSupport.FleetLockAsync(Portal, "steady-state", UpdateTestSupport.LockBody("windowed", group));
        var late = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("late", group));

        Assert.Equal(HttpStatusCode.Conflict, before.Status);
        Assert.Equal(FleetLockService.OutsideMaintenanceWindow, UpdateTestSupport.KindOf(before.Body));
        Assert.Equal(HttpStatusCode.OK, inside.Status);
        Assert.Equal(HttpStatusCode.OK, stillHeld.Status);     // already held: the lock outlives the window
        Assert.Equal(HttpStatusCode.OK, other.Status);         // releasing is always allowed
        Assert.Equal(FleetLockService.OutsideMaintenanceWindow, UpdateTestSupport.KindOf(late.Body));
    }

    [Fact]
    public async Task Release_StaleLockByOperator_FreedAndAudited_HelpDeskRefused()
    {
        var id = await UpdateTestSupport.CreateGroupAsync(Portal);
        var group = await UpdateTestSupport.GroupNameAsync(Portal, id);
        await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("dead-node", group));
        var locks = Portal.Services.GetRequiredService<FleetLockService>();

        var refused = await locks.ReleaseAsync(id, "dead-node", TestActors.HelpDesk);
        var listed = await locks.ListHoldersAsync(id);
        var released = await locks.ReleaseAsync(id, "dead-node", TestActors.Operator);
        var next = await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody("next-node", group));

        Assert.Equal(OutcomeKind.Forbidden, refused.Kind);
        Assert.Equal("dead-node", Assert.Single(listed).NodeId);
        Assert.True(released.Succeeded);
        Assert.Equal(HttpStatusCode.OK, next.Status);
        await using var db = await Portal.CreateDbAsync();
        var entry = await db.AuditEntries.SingleAsync(a => a.Action == "fleetlock.release" && a.EntityId == $"{group}/dead-node" && a.Outcome == AuditOutcome.Succeeded);
        Assert.Equal(TestActors.Operator.Name, entry.Actor);
    }

    [Fact]
    public async Task PreReboot_EnrolledDevice_HolderShowsItsHostnameAndTimeline()
    {
        var (device, uuid) = await UpdateTestSupport.EnrolApprovedAsync(Portal, "locking-device");
        var id = await UpdateTestSupport.CreateGroupAsync(Portal);
        var group = await UpdateTestSupport.GroupNameAsync(Portal, id);

        await UpdateTestSupport.FleetLockAsync(Portal, "pre-reboot", UpdateTestSupport.LockBody(uuid, group));

        var holder = Assert.Single(await Portal.Services.GetRequiredService<FleetLockService>().ListHoldersAsync(id));
        Assert.Equal(device, holder.DeviceId);
        Assert.Equal("locking-device", holder.Hostname);
        var details = await Portal.Devices.GetAsync(device);
        Assert.Contains(details!.Events, e => e.Kind == "fleetlock");
    }

    private async Task<List<string>> HoldersAsync(string group)
    {
        await using var db = await Portal.CreateDbAsync();
        return await db.FleetLockHolders.Where(h => db.DeviceGroups.Any(g => g.Id == h.GroupId && g.Name == group)).Select(h => h.NodeId).ToListAsync();
    }

    public sealed class Fixture : IAsyncLifetime
    {
        public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));

        public PortalInstance Portal { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Portal = await PortalInstance.StartAsync(time: Clock);

        public async ValueTask DisposeAsync() => await Portal.DisposeAsync();
    }
}
