using System.Text.Json;
using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>The update side on a host without Zincati: real adapters, bash stand-ins, a fake Cincinnati/FleetLock server.</summary>
public sealed class UpdateDriverTests
{
    [Fact]
    public async Task Cycle_NewerReleaseOffered_DeploysTakesLockRebootsThenReportsSucceeded()
    {
        await using var rig = new UpdateRig("42.1");
        var next = rig.Os.AddRelease("42.2", 2_000);
        rig.Server.Offer(rig.Booted, next);

        await rig.CycleAsync(rig.Policy());

        Assert.Equal(["rpm-ostree status --json", $"rpm-ostree deploy revision={next.Checksum}", "systemctl reboot"], rig.Os.Calls.Where(c => !c.StartsWith("systemctl is-failed", StringComparison.Ordinal)));
        Assert.Equal(["Started 42.2", "Staged 42.2", "Rebooting 42.2"], rig.EventSummary);
        var query = Assert.Single(rig.Server.GraphQueries);
        Assert.Equal(
            $"basearch={KernelArchitecture()}&stream=stable&os_version=42.1&os_checksum={rig.Booted.Checksum}&group=default&node_uuid={FakeOs.NodeUuid}&platform=metal",
            query);
        var (path, header, body) = Assert.Single(rig.Server.LockRequests);
        Assert.Equal(("/v1/pre-reboot", "true"), (path, header));
        Assert.Equal(JsonSerializer.Serialize(new { client_params = new { id = FakeOs.NodeUuid, group = "default" } }), body);

        // The stand-in rebooted into 42.2 (new boot id); the next pass judges the boot.
        await rig.CycleAsync();

        Assert.Equal("42.2", rig.Os.BootedVersion);
        Assert.Equal("Succeeded 42.2", rig.EventSummary.Last());
        Assert.Equal("/v1/steady-state", rig.Server.LockRequests.Last().Path);
        Assert.False(rig.Store.Current.LockHeld);
        Assert.Null(rig.Store.Current.Pending);
        Assert.Equal(("42.2", UpdateAgentKind.Fleet, false, FakeOs.NodeUuid), (rig.LastReport.Booted!.Version, rig.LastReport.UpdateAgent, rig.LastReport.RollbackDetected, rig.LastReport.NodeUuid));
        Assert.Null(rig.Coordinator.NextReport()); // everything delivered; the store catches up on the next pass
        Assert.Empty(rig.Log.Errors);
    }

    [Fact]
    public async Task Cycle_Paused_NeverAsksForUpdates()
    {
        await using var rig = new UpdateRig("42.1");
        rig.Server.Offer(rig.Booted, rig.Os.AddRelease("42.2", 2_000));

        await rig.CycleAsync(rig.Policy(enabled: false));
        await rig.CycleLaterAsync(TimeSpan.FromHours(1));

        Assert.Empty(rig.Server.GraphQueries);
        Assert.DoesNotContain(rig.Os.Calls, c => c.Contains("deploy", StringComparison.Ordinal));
        Assert.Equal("42.1", rig.LastReport.Booted!.Version);
    }

    [Fact]
    public async Task Cycle_SamePolicySentAgain_ChecksAtOnce()
    {
        await using var rig = new UpdateRig("42.1");
        rig.Server.Offer(rig.Booted);
        await rig.CycleAsync(rig.Policy());

        rig.Server.Offer(rig.Booted, rig.Os.AddRelease("42.2", 2_000));
        await rig.CycleAsync();
        await rig.CycleAsync(rig.Policy());

        Assert.Equal(2, rig.Server.GraphQueries.Count);
        Assert.Equal("Rebooting 42.2", rig.EventSummary.Last());
    }

    [Fact]
    public async Task Cycle_Pinned_DeploysThePinNotTheNewest()
    {
        await using var rig = new UpdateRig("42.1");
        var pinned = rig.Os.AddRelease("42.2", 2_000);
        rig.Server.Offer(rig.Booted, pinned, rig.Os.AddRelease("42.3", 3_000));

        await rig.CycleAsync(rig.Policy(pinned: "42.2"));
        await rig.CycleAsync();
        await rig.CycleLaterAsync();

        Assert.Equal("42.2", rig.Os.BootedVersion);
        Assert.Single(rig.Os.Calls, c => c.StartsWith("rpm-ostree deploy", StringComparison.Ordinal));
        Assert.Contains($"rpm-ostree deploy revision={pinned.Checksum}", rig.Os.Calls);
    }

    [Fact]
    public async Task Cycle_DeployFails_FailedWithToolMessageNoRebootAndNoRetryForAnHour()
    {
        await using var rig = new UpdateRig("42.1");
        rig.Server.Offer(rig.Booted, rig.Os.AddRelease("42.2", 2_000));
        rig.Os.Fail("While pulling 42.2: Server returned HTTP 404", "deploy");

        await rig.CycleAsync(rig.Policy());
        await rig.CycleLaterAsync();

        Assert.Equal(["Started 42.2", "Failed 42.2"], rig.EventSummary);
        Assert.Equal("error: While pulling 42.2: Server returned HTTP 404", rig.Events.Last().Error);
        Assert.DoesNotContain("systemctl reboot", rig.Os.Calls);
        Assert.Empty(rig.Server.LockRequests);

        rig.Os.Heal();
        await rig.CycleLaterAsync(TimeSpan.FromHours(1));

        Assert.Equal("Rebooting 42.2", rig.EventSummary.Last());
    }

    [Fact]
    public async Task Cycle_NewDeploymentFallsBack_RolledBackAndRollbackDetected()
    {
        await using var rig = new UpdateRig("42.1");
        rig.Server.Offer(rig.Booted, rig.Os.AddRelease("42.2", 2_000));
        rig.Os.FailNextBoot();

        await rig.CycleAsync(rig.Policy());
        await rig.CycleAsync();

        Assert.Equal("42.1", rig.Os.BootedVersion);
        var rolledBack = rig.Events.Last();
        Assert.Equal((UpdateEventKind.RolledBack, "42.2"), (rolledBack.Kind, rolledBack.TargetVersion));
        Assert.Contains("previous deployment", rolledBack.Error, StringComparison.Ordinal);
        Assert.True(rig.LastReport.RollbackDetected);
        Assert.Equal("/v1/steady-state", rig.Server.LockRequests.Last().Path);
    }

    [Fact]
    public async Task Cycle_LockRefused_StaysStagedUntilGranted()
    {
        await using var rig = new UpdateRig("42.1");
        rig.Server.Offer(rig.Booted, rig.Os.AddRelease("42.2", 2_000));
        rig.Server.LockAvailable = false;

        await rig.CycleAsync(rig.Policy());
        await rig.CycleLaterAsync();

        Assert.Equal(["Started 42.2", "Staged 42.2"], rig.EventSummary);
        Assert.Equal("42.2", rig.Os.StagedVersion);
        Assert.DoesNotContain("systemctl reboot", rig.Os.Calls);
        Assert.Equal(2, rig.Server.LockRequests.Count);
        Assert.Contains(rig.Log.Entries, e => e.Message.Contains("all 1 slots of group 'default' are taken", StringComparison.Ordinal));

        rig.Server.LockAvailable = true;
        await rig.CycleLaterAsync();

        Assert.Equal("Rebooting 42.2", rig.EventSummary.Last());
        Assert.Contains("systemctl reboot", rig.Os.Calls);
    }

    [Fact]
    public async Task Cycle_RollbackCommand_RollsBackOnceAndAcknowledges()
    {
        await using var rig = new UpdateRig("42.2", 2_000);
        rig.Os.SetRollback(FakeOs.ReleaseOf("42.1", 1_000));
        var policy = rig.Policy(enabled: false, rollback: "rb-1");

        await rig.CycleAsync(policy);
        await rig.CycleAsync();
        await rig.CycleLaterAsync();

        Assert.Equal("42.1", rig.Os.BootedVersion);
        Assert.Single(rig.Os.Calls, c => c == "rpm-ostree rollback");
        Assert.Equal(["Rebooting 42.1", "RolledBack 42.2"], rig.EventSummary);
        Assert.Equal("rb-1", rig.LastReport.RollbackCommandId);
        Assert.True(rig.LastReport.RollbackDetected);
    }

    [Fact]
    public async Task Cycle_RollbackCommandWithoutPreviousDeployment_FailedWithoutVersion()
    {
        await using var rig = new UpdateRig("42.2", 2_000);

        await rig.CycleAsync(rig.Policy(rollback: "rb-2"));

        var failed = Assert.Single(rig.Events);
        Assert.Equal((UpdateEventKind.Failed, null), (failed.Kind, failed.TargetVersion));
        Assert.Contains("no previous deployment", failed.Error, StringComparison.Ordinal);
        Assert.Equal("rb-2", rig.LastReport.RollbackCommandId);
    }

    [Fact]
    public async Task Cycle_UpdateManagementOff_ReportsOnly()
    {
        await using var rig = new UpdateRig("42.1", options: new UpdateAgentOptions { Enabled = false });
        rig.Server.Offer(rig.Booted, rig.Os.AddRelease("42.2", 2_000));

        await rig.CycleAsync(rig.Policy());

        Assert.Empty(rig.Server.GraphQueries);
        Assert.Equal((UpdateAgentKind.None, "42.1"), (rig.LastReport.UpdateAgent, rig.LastReport.Booted!.Version));
    }

    [Fact]
    public async Task Cycle_NotAnRpmOstreeHost_ReportWithoutDeploymentsLoggedOnce()
    {
        var runner = new ProcessRunner(new Dictionary<string, string> { ["PATH"] = Path.GetTempPath() });
        await using var rig = new UpdateRig(runner: runner);

        await rig.CycleAsync(rig.Policy());
        await rig.CycleLaterAsync();

        Assert.Equal((UpdateAgentKind.None, (DeploymentInfo?)null), (rig.LastReport.UpdateAgent, rig.LastReport.Booted));
        Assert.Single(rig.Log.Entries, e => e.Message.Contains("rpm-ostree is not installed", StringComparison.Ordinal));
        Assert.Empty(rig.Log.Errors);
    }

    private static string KernelArchitecture() => Fleet.DeviceAgent.Identity.KernelArchitecture.Current;
}
