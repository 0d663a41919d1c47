using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Config;

public sealed class ConfigDriftTests
{
    [Fact]
    public async Task CheckAsync_HostChangedAfterApply_ReportsDriftedWithoutChangingIt()
    {
        using var rig = new ConfigRig();
        await rig.Coordinator.ApplyAsync(ConfigRig.Desired(ButanePairs.Merge("29", "30", "23")), TestContext.Current.CancellationToken);
        rig.Write("etc/hostname", "someone-else\n");
        File.SetUnixFileMode(rig.PathOf("/etc/fleet/agent.conf"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        File.Delete(rig.PathOf("/etc/localtime"));
        File.Delete(rig.PathOf("/etc/systemd/system/zezere_ignition.timer"));
        rig.Write("var/home/core/.ssh/authorized_keys.d/fleet", "ssh-ed25519 AAAA intruder\n");

        var report = (await rig.Coordinator.CheckAsync(TestContext.Current.CancellationToken))!;

        Assert.Null(report.Error);
        Assert.Equal(
            [
                ("/etc/fleet/agent.conf", "mode 0604, want 0600"),
                ("/etc/hostname", "contents differ"),
                ("/etc/localtime", "missing"),
                ("zezere_ignition.timer", "not masked"),
                ("core", "keys differ"),
            ],
            report.Entries.Where(e => e.Outcome == ConfigEntryOutcome.Drifted).Select(e => (e.Target, e.Detail)));
        Assert.DoesNotContain(report.Entries, e => e.Outcome is ConfigEntryOutcome.Applied or ConfigEntryOutcome.Failed);
        Assert.Equal("someone-else\n", rig.Read("/etc/hostname"));
        Assert.False(File.Exists(rig.PathOf("/etc/localtime")) || Directory.Exists(rig.PathOf("/etc/localtime")));
    }

    [Fact]
    public async Task CheckAsync_ReapplyOnDrift_PutsItBack()
    {
        using var rig = new ConfigRig(reapplyOnDrift: true);
        await rig.Coordinator.ApplyAsync(ConfigRig.Desired(ButanePairs.Expected("29")), TestContext.Current.CancellationToken);
        rig.Write("etc/hostname", "someone-else\n");

        var report = (await rig.Coordinator.CheckAsync(TestContext.Current.CancellationToken))!;

        Assert.Equal(("/etc/hostname", ConfigEntryOutcome.Applied), report.Entries.Where(e => e.Outcome != ConfigEntryOutcome.Unchanged).Select(e => (e.Target, e.Outcome)).Single());
        Assert.Equal("iot-device-01", rig.Read("/etc/hostname"));
    }

    [Fact]
    public async Task RunAsync_DesiredThenDriftInterval_QueuesApplyThenDriftReports()
    {
        using var rig = new ConfigRig();
        using var stop = new CancellationTokenSource();
        var ready = 0;
        rig.Coordinator.ReportReady += (_, _) => Interlocked.Increment(ref ready);
        var run = rig.Coordinator.RunAsync(stop.Token);

        rig.Coordinator.OnDesired(ConfigRig.Desired(ButanePairs.Expected("29"), "v7"));
        await Eventually.TrueAsync(() => Volatile.Read(ref ready) == 1);
        var applied = rig.Coordinator.NextReport()!;
        rig.Coordinator.Delivered(applied);
        rig.Write("etc/hostname", "changed\n");
        await Eventually.AdvanceUntilAsync(rig.Time, Eventually.TrueAsync(() => Volatile.Read(ref ready) == 2), TimeSpan.FromMinutes(1));
        var drift = rig.Coordinator.NextReport()!;
        await stop.CancelAsync();
        await run.Within();

        Assert.Equal("v7", applied.Version);
        Assert.All(applied.Entries, e => Assert.Equal(ConfigEntryOutcome.Applied, e.Outcome));
        Assert.Equal("v7", drift.Version);
        Assert.Equal(ConfigEntryOutcome.Drifted, drift.Entries.Single(e => e.Target == "/etc/hostname").Outcome);
        Assert.InRange(drift.CheckedAt - applied.CheckedAt, TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(20));
    }

    [Fact]
    public async Task HandleAsync_SameConfigRedelivered_ChecksInsteadOfApplying()
    {
        using var rig = new ConfigRig();
        var desired = ConfigRig.Desired(ButanePairs.Expected("29"));
        await rig.Coordinator.HandleAsync(desired, TestContext.Current.CancellationToken);
        rig.Write("etc/hostname", "changed\n");

        // The broker re-delivers the retained config on every reconnect: that must not undo a change silently.
        var again = await rig.Coordinator.HandleAsync(desired, TestContext.Current.CancellationToken);

        Assert.Equal(ConfigEntryOutcome.Drifted, again.Entries.Single(e => e.Target == "/etc/hostname").Outcome);
        Assert.Equal("changed\n", rig.Read("/etc/hostname"));
    }
}
