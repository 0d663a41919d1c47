using Fleet.DeviceAgent.Updates;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>With Zincati installed the agent configures it and reports what it does, and never deploys itself.</summary>
public sealed class ZincatiHostTests
{
    [Fact]
    public async Task Cycle_ZincatiInstalled_DropInWrittenNoChecksAndZincatisStepsReported()
    {
        await using var rig = new UpdateRig("42.1");
        rig.Os.InstallZincati();
        var next = rig.Os.AddRelease("42.2", 2_000);
        rig.Server.Offer(rig.Booted, next);

        await rig.CycleAsync(rig.Policy());

        Assert.Empty(rig.Server.GraphQueries);
        Assert.Contains($"base_url = \"{rig.Server.BaseUrl}\"", await File.ReadAllTextAsync(Path.Combine(rig.Os.Root, ZincatiConfigWriter.RelativePath), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Contains("systemctl try-restart zincati.service", rig.Os.Calls);
        Assert.Equal(UpdateAgentKind.Zincati, rig.LastReport.UpdateAgent);

        // Zincati stages 42.2 and reboots; the agent reports both steps.
        await new RpmOstreeCli(rig.Os.Runner).DeployAsync($"revision={next.Checksum}", TestContext.Current.CancellationToken);
        await rig.CycleLaterAsync();
        await new SystemctlCli(rig.Os.Runner).RebootAsync(TestContext.Current.CancellationToken);
        await rig.CycleAsync();

        Assert.Equal(["Staged 42.2", "Succeeded 42.2"], rig.EventSummary);
        Assert.DoesNotContain(rig.Os.Calls, c => c.StartsWith("rpm-ostree deploy", StringComparison.Ordinal) && !c.Contains(next.Checksum, StringComparison.Ordinal));
        Assert.Single(rig.Os.Calls, c => c == "systemctl try-restart zincati.service");
    }

    [Fact]
    public async Task Cycle_PolicyPaused_DropInSaysDisabled()
    {
        await using var rig = new UpdateRig("42.1");
        rig.Os.InstallZincati();

        await rig.CycleAsync(rig.Policy());
        await rig.CycleAsync(rig.Policy(enabled: false));

        Assert.Contains("enabled = false", await File.ReadAllTextAsync(Path.Combine(rig.Os.Root, ZincatiConfigWriter.RelativePath), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(2, rig.Os.Calls.Count(c => c == "systemctl try-restart zincati.service"));
    }

    [Fact]
    public async Task Cycle_BaseUrlsWithPathButNoSlash_SlashAddedSoZincatiKeepsThePath()
    {
        await using var rig = new UpdateRig("42.1");
        rig.Os.InstallZincati();

        await rig.CycleAsync(rig.Policy() with { CincinnatiBaseUrl = "https://fleet.example.org/updates", FleetLockBaseUrl = "https://fleet.example.org/updates" });

        var dropIn = await File.ReadAllTextAsync(Path.Combine(rig.Os.Root, ZincatiConfigWriter.RelativePath), TestContext.Current.CancellationToken);
        Assert.Contains("base_url = \"https://fleet.example.org/updates/\"", dropIn, StringComparison.Ordinal);
        Assert.Contains("fleet_lock.base_url = \"https://fleet.example.org/updates/\"", dropIn, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cycle_ZincatiAppliedAnOlderDeployment_RollbackDetected()
    {
        await using var rig = new UpdateRig("42.2", 2_000);
        rig.Os.InstallZincati();
        rig.Os.SetRollback(FakeOs.ReleaseOf("42.1", 1_000));
        await rig.CycleAsync(rig.Policy());

        await new RpmOstreeCli(rig.Os.Runner).RollbackAsync(TestContext.Current.CancellationToken);
        await new SystemctlCli(rig.Os.Runner).RebootAsync(TestContext.Current.CancellationToken);
        await rig.CycleAsync();

        Assert.Equal("RolledBack 42.2", Assert.Single(rig.EventSummary));
        Assert.True(rig.LastReport.RollbackDetected);
    }
}
