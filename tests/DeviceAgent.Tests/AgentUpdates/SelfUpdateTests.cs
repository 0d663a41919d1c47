using System.Text;
using Fleet.DeviceAgent.AgentUpdates;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Tests.AgentUpdates;

/// <summary>
/// The agent replacing itself with the build the portal offers: checked, swapped with the previous build kept and the
/// restorer armed, confirmed by the new build once online, refused when a check fails, resumed after a cut.
/// </summary>
public sealed class SelfUpdateTests
{
    private const string NewVersion = "99.1.0-selfupdate-test";

    [Fact]
    public async Task Offer_GoodBuild_SwappedPreviousKeptRestorerArmedAndAgentStopped()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var old = File.ReadAllBytes(rig.Binary);
        var build = SelfUpdateRig.Build(NewVersion);
        await rig.StartDeviceAsync(rig.NewUpdater());

        await rig.SendAsync(rig.Offer(NewVersion, build));
        await rig.StopRequested.Task.Within();

        Assert.Equal(build, File.ReadAllBytes(rig.Binary));
        Assert.Equal(old, File.ReadAllBytes(rig.Binary + ".previous"));
        Assert.False(File.Exists(rig.Binary + ".new"));
        Assert.Equal(AgentBinary.Mode755, File.GetUnixFileMode(rig.Binary) & AgentBinary.Mode755);
        var pending = rig.Store.Load().Pending;
        Assert.NotNull(pending);
        Assert.Equal(
            (SelfUpdateRig.RunningVersion, NewVersion, rig.Binary), (pending.From, pending.To, pending.Binary));
        Assert.Equal(rig.Time.GetUtcNow().AddSeconds(300), pending.Deadline);
        Assert.Contains(
            $"systemd-run --on-active=300 --unit fleet-agent-rollback-check "
            + $"--setenv=Agent__StateDirectory={rig.StateDirectory} {rig.Binary}.previous --rollback-if-pending",
            rig.Calls);
        Assert.Empty(rig.Reports);
        Assert.Empty(rig.Log.Errors);
    }

    [Fact]
    public async Task Online_Status_CarriesTheRunningVersion()
    {
        await using var rig = await SelfUpdateRig.StartAsync();

        await rig.StartDeviceAsync(rig.NewUpdater());

        var online = rig.Portal.PublishedTo(Topics.Status(SelfUpdateRig.DeviceId))
            .Select(p => p.Read(FleetJson.Default.DeviceStatus)).First(s => s.State == DeviceState.Online);
        Assert.Equal(AgentVersion.Current, online.AgentVersion);
    }

    [Fact]
    public async Task Offer_HashDoesNotMatch_RefusedAndBinaryUntouched()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var old = File.ReadAllBytes(rig.Binary);
        var signedHash = SelfUpdateRig.Sha512Of(SelfUpdateRig.Build("something else"));
        await rig.StartDeviceAsync(rig.NewUpdater());

        await rig.SendAsync(rig.Offer(NewVersion, SelfUpdateRig.Build(NewVersion), sha512: signedHash));
        var report = await rig.ReportAsync(NewVersion, AgentUpdateResult.Refused);

        Assert.Contains($"SHA-512 of the download is {SelfUpdateRig.Sha512Of(SelfUpdateRig.Build(NewVersion))}",
            report.Detail, StringComparison.Ordinal);
        Assert.Single(rig.Requests);
        AssertUntouched(rig, old);
    }

    [Fact]
    public async Task Offer_SignedByAnotherKey_RefusedWithoutDownloading()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var old = File.ReadAllBytes(rig.Binary);
        await rig.StartDeviceAsync(rig.NewUpdater());

        await rig.SendAsync(rig.Offer(
            NewVersion, SelfUpdateRig.Build(NewVersion), signingKey: AgentSignature.NewPrivateKey()));
        var report = await rig.ReportAsync(NewVersion, AgentUpdateResult.Refused);

        Assert.Equal("the signature does not verify with the portal's signing key", report.Detail);
        Assert.Empty(rig.Requests);
        AssertUntouched(rig, old);
    }

    [Fact]
    public async Task Offer_RefusedBuildOfferedAgain_NotTriedAgain()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var forged = rig.Offer(NewVersion, SelfUpdateRig.Build(NewVersion), signingKey: AgentSignature.NewPrivateKey());
        await rig.StartDeviceAsync(rig.NewUpdater());
        await rig.SendAsync(forged);
        await rig.ReportAsync(NewVersion, AgentUpdateResult.Refused);

        await rig.SendAsync(forged);   // offered again before any other build: remembered, not tried again
        await rig.SendAsync(rig.Offer("99.2.0", SelfUpdateRig.Build("99.2.0"), sha512: new string('0', 128)));
        await rig.ReportAsync("99.2.0", AgentUpdateResult.Refused);

        Assert.Equal([NewVersion, "99.2.0"], rig.Reports.Select(r => r.Version));
    }

    [Fact]
    public async Task Offer_RestorerCannotBeArmed_FailedBinaryUntouchedNothingPending()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var old = File.ReadAllBytes(rig.Binary);
        rig.Os.Fail("Access denied", "systemd-run");
        await rig.StartDeviceAsync(rig.NewUpdater());

        await rig.SendAsync(rig.Offer(NewVersion, SelfUpdateRig.Build(NewVersion)));
        var report = await rig.ReportAsync(NewVersion, AgentUpdateResult.Failed);

        Assert.Equal("systemd-run could not arm the restorer: Failed to start transient timer unit: Access denied",
            report.Detail);
        Assert.Equal(old, File.ReadAllBytes(rig.Binary));
        Assert.Null(rig.Store.Load().Pending);
        Assert.False(rig.StopRequested.Task.IsCompleted);
    }

    [Fact]
    public async Task Offer_NoSigningKeyFromEnrolment_RefusedAskingToEnrolAgain()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var enrolled = await rig.States.LoadAsync(TestContext.Current.CancellationToken);
        await rig.States.SaveAsync(enrolled! with { AgentSigningKey = null }, TestContext.Current.CancellationToken);
        await rig.StartDeviceAsync(rig.NewUpdater());

        await rig.SendAsync(rig.Offer(NewVersion, SelfUpdateRig.Build(NewVersion)));
        var report = await rig.ReportAsync(NewVersion, AgentUpdateResult.Refused);

        Assert.Equal("no signing key from the portal; enrol again", report.Detail);
        Assert.Empty(rig.Requests);
    }

    [Fact]
    public async Task Offer_BuildDoesNotStartHere_RefusedAndBinaryUntouched()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var old = File.ReadAllBytes(rig.Binary);
        var broken = SelfUpdateRig.Build(NewVersion, "echo 'cannot execute: required file not found' >&2; exit 126");
        await rig.StartDeviceAsync(rig.NewUpdater());

        await rig.SendAsync(rig.Offer(NewVersion, broken));
        var report = await rig.ReportAsync(NewVersion, AgentUpdateResult.Refused);

        Assert.Equal(
            $"the build does not start on this machine as {NewVersion}: cannot execute: required file not found",
            report.Detail);
        AssertUntouched(rig, old);
    }

    [Fact]
    public async Task Offer_OtherArchitectureThenRefusedOne_OnlyTheSecondIsLookedAt()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        await rig.StartDeviceAsync(rig.NewUpdater());

        await rig.SendAsync(rig.Offer(
            NewVersion, SelfUpdateRig.Build(NewVersion), architecture: SelfUpdateRig.OtherArchitecture));
        await rig.SendAsync(rig.Offer(
            "99.2.0", SelfUpdateRig.Build("99.2.0"), signingKey: AgentSignature.NewPrivateKey()));
        await rig.ReportAsync("99.2.0", AgentUpdateResult.Refused);

        Assert.Equal(["99.2.0"], rig.Reports.Select(r => r.Version));
        Assert.Empty(rig.Requests);
    }

    [Fact]
    public async Task Offer_DownloadCut_FailedThenResumedWithRangeAndSwapped()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var build = SelfUpdateRig.Build(NewVersion);
        var half = build.Length / 2;
        rig.CutNextAfter = half;
        await rig.StartDeviceAsync(rig.NewUpdater());

        await rig.SendAsync(rig.Offer(NewVersion, build));
        var failed = await rig.ReportAsync(NewVersion, AgentUpdateResult.Failed);
        Assert.Equal(half, new FileInfo(rig.Binary + ".new").Length);
        await Eventually.AdvanceUntilAsync(rig.Time, rig.StopRequested.Task, TimeSpan.FromSeconds(10));

        Assert.Contains("downloading", failed.Detail, StringComparison.Ordinal);
        Assert.Equal([null, $"bytes={half}-"], rig.Requests.Select(r => r.Header("Range")));
        Assert.Equal(build, File.ReadAllBytes(rig.Binary));
    }

    [Fact]
    public async Task Start_PendingSwapToThisBuild_InstalledOnceOnlineAndRestorerStopped()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        rig.WritePending("1.0.0", NewVersion, File.ReadAllBytes(rig.Binary), rig.Time.GetUtcNow().AddSeconds(300));

        await rig.StartDeviceAsync(rig.NewUpdater(runningVersion: NewVersion));
        var report = await rig.ReportAsync(NewVersion, AgentUpdateResult.Installed);

        Assert.Equal("Replaced 1.0.0.", report.Detail);
        await Eventually.TrueAsync(() => rig.Calls.Contains("systemctl stop fleet-agent-rollback-check.timer"));
        Assert.Null(rig.Store.Load().Pending);
        await Eventually.TrueAsync(() => rig.Store.Load().Unsent is []);
        Assert.Empty(rig.Log.Errors);
    }

    [Fact]
    public async Task RollbackIfPending_DeadlinePassed_PreviousRestoredAndTheRestoredAgentReportsRolledBack()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var old = File.ReadAllBytes(rig.Binary);
        var build = SelfUpdateRig.Build(NewVersion);
        File.WriteAllBytes(rig.Binary + ".previous", old);
        File.WriteAllBytes(rig.Binary, build);
        rig.WritePending(SelfUpdateRig.RunningVersion, NewVersion, build, rig.Time.GetUtcNow());
        rig.Time.Advance(TimeSpan.FromSeconds(1));

        var exit = await Restorer(rig).RollbackIfPendingAsync(TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Equal(old, File.ReadAllBytes(rig.Binary));
        Assert.Equal(old, File.ReadAllBytes(rig.Binary + ".previous"));
        Assert.Equal(
            ["systemctl reset-failed fleet-agent.service", "systemctl restart fleet-agent.service"], rig.Calls);
        var state = rig.Store.Load();
        Assert.Null(state.Pending);

        // The restored agent reports it once online, and does not take the same build again.
        await rig.StartDeviceAsync(rig.NewUpdater());
        var report = await rig.ReportAsync(NewVersion, AgentUpdateResult.RolledBack);
        await rig.SendAsync(rig.Offer(NewVersion, build));
        await rig.SendAsync(rig.Offer("99.2.0", build, signingKey: AgentSignature.NewPrivateKey()));
        await rig.ReportAsync("99.2.0", AgentUpdateResult.Refused);

        Assert.Equal(
            $"Agent {NewVersion} did not come online within 300 s; {SelfUpdateRig.RunningVersion} was restored.",
            report.Detail);
        Assert.Empty(rig.Requests);
        Assert.Equal(old, File.ReadAllBytes(rig.Binary));
    }

    [Fact]
    public async Task RollbackIfPending_BeforeTheDeadline_SaysTheNewBuildCrashLooped()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var build = SelfUpdateRig.Build(NewVersion);
        File.Copy(rig.Binary, rig.Binary + ".previous");
        rig.WritePending(SelfUpdateRig.RunningVersion, NewVersion, build, rig.Time.GetUtcNow().AddSeconds(300));

        Assert.Equal(0, await Restorer(rig).RollbackIfPendingAsync(TestContext.Current.CancellationToken));

        var report = Assert.Single(rig.Store.Load().Unsent!);
        Assert.Equal(AgentUpdateResult.RolledBack, report.Result);
        Assert.Contains("crash-looped", report.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RollbackIfPending_NothingPending_DoesNothing()
    {
        await using var rig = await SelfUpdateRig.StartAsync();
        var binary = File.ReadAllBytes(rig.Binary);

        Assert.Equal(0, await Restorer(rig).RollbackIfPendingAsync(TestContext.Current.CancellationToken));

        Assert.Empty(rig.Calls);
        Assert.Equal(binary, File.ReadAllBytes(rig.Binary));
        Assert.False(File.Exists(rig.Store.FilePath));
    }

    [Fact]
    public async Task Enrolment_Approved_KeepsThePortalsSigningKeyWithTheCredential()
    {
        var key = Convert.ToBase64String(AgentSignature.PublicKeyOf(AgentSignature.NewPrivateKey()));
        await using var portal = await FakePortal.StartAsync(p =>
        {
            p.Credentials["dev-7"] = "secret-7";
            p.Decide = (_, _) => new EnrollmentResponse(
                EnrollmentDecision.Approved, "dev-7", "secret-7", AgentSigningKey: key);
        });
        using var state = new TempDirectory();
        var store = new FileStateStore(
            Options.Create(new AgentOptions { StateDirectory = state.Path }), NullLogger<FileStateStore>.Instance);
        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1", BrokerPort = portal.Port, PlainMqtt = true, TimeoutSeconds = 5,
        };
        var runtime = TestRuntime.Create(options, store, TimeProvider.System, new RecordingLogger());
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await runtime.WaitForPhaseAsync(DevicePhase.Connected, TestContext.Current.CancellationToken).Within();
        await stop.CancelAsync();
        await run.Within();

        var saved = await store.LoadAsync(TestContext.Current.CancellationToken);
        Assert.Equal(("dev-7", "secret-7", key), (saved!.DeviceId, saved.Secret, saved.AgentSigningKey));
    }

    [Theory]
    [InlineData("1.4.0+3f2a9c0d", "1.4.0")]
    [InlineData("1.4.0-rc.1", "1.4.0-rc.1")]
    [InlineData(null, "0.0.0")]
    public void AgentVersion_Of_DropsBuildMetadata(string? informational, string expected) =>
        Assert.Equal(expected, AgentVersion.Of(informational));

    private static AgentRestorer Restorer(SelfUpdateRig rig) =>
        new(rig.Store, new AgentUnits(rig.Os.Runner), rig.Time, rig.Log);

    private static void AssertUntouched(SelfUpdateRig rig, byte[] old)
    {
        Assert.Equal(old, File.ReadAllBytes(rig.Binary));
        Assert.False(File.Exists(rig.Binary + ".new"));
        Assert.False(File.Exists(rig.Binary + ".previous"));
        Assert.DoesNotContain(rig.Calls, c => c.StartsWith("systemd-run", StringComparison.Ordinal));
        Assert.False(rig.StopRequested.Task.IsCompleted);
        Assert.Empty(rig.Log.Errors);
    }
}
