using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Updates;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Tests.Updates;

/// <summary>
/// The whole device side over MQTT: DeviceRuntime and the update coordinator against a broker that
/// plays the portal, the fake update server and the stand-ins, on one fake clock. The portal-side
/// version of this story (real portal, real Cincinnati and FleetLock endpoints) follows the same steps.
/// </summary>
public sealed class UpdateScenarioTests
{
    private const string DeviceId = "dev-updates";

    [Fact]
    public async Task Device_FollowsReleasePausedUnpausedUpdatesThenFailure_ReportsEachStep()
    {
        await using var rig = new UpdateRig("42.1", deliverReports: false);
        await using var portal = await FakePortal.StartAsync(p =>
        {
            p.Credentials[DeviceId] = "secret";
            p.UpdatePolicyOnOnline = rig.Policy();
        });
        var logger = new RecordingLogger();
        var runtime = TestRuntime.Create(
            new AgentOptions
            {
                BrokerHost = "127.0.0.1", BrokerPort = portal.Port, PlainMqtt = true, TimeoutSeconds = 5,
            },
            new InMemoryStateStore(new AgentState("enroll-00112233445566778899aabbccddeeff", DeviceId, "secret")),
            rig.Time,
            logger,
            [new UpdatesModule(rig.Coordinator, logger)],
            seed: 5);
        using var stop = new CancellationTokenSource();
        var running = Task.WhenAll(runtime.RunAsync(stop.Token), rig.Coordinator.RunAsync(stop.Token));
        var step = TimeSpan.FromMinutes(1);

        // Online: the policy arrives and the first report shows 42.1.
        await Eventually.AdvanceUntilAsync(rig.Time, portal.WaitForAsync(p => Report(p) is { Booted.Version: "42.1" }), step);

        // 1. A release appears: the device follows it and reports success after the reboot.
        rig.Server.Offer(rig.Booted, rig.Os.AddRelease("42.2", 2_000));
        await Eventually.AdvanceUntilAsync(rig.Time, portal.WaitForAsync(p => Report(p)?.Event is { Kind: UpdateEventKind.Succeeded, TargetVersion: "42.2" }), step);
        Assert.Equal("42.2", rig.Os.BootedVersion);

        // 2. Paused: a newer release is not even looked at.
        await portal.SendAsync(Topics.UpdatePolicy(DeviceId), rig.Policy(enabled: false), FleetJson.Default.UpdatePolicy);
        await Eventually.TrueAsync(() => rig.Store.Current.Policy?.UpdatesEnabled == false);
        var checks = rig.Server.GraphQueries.Count;
        rig.Server.Offer(rig.Booted, FakeOs.ReleaseOf("42.2", 2_000), rig.Os.AddRelease("42.3", 3_000));
        for (var i = 0; i < 30; i++)
        {
            rig.Time.Advance(step);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal(checks, rig.Server.GraphQueries.Count);
        Assert.Equal("42.2", rig.Os.BootedVersion);

        // 3. Unpaused, and 42.3 does not boot: the device falls back and says so.
        rig.Os.FailNextBoot();
        await portal.SendAsync(Topics.UpdatePolicy(DeviceId), rig.Policy(), FleetJson.Default.UpdatePolicy);
        var rolledBack = await Eventually.AdvanceUntilAsync(rig.Time, portal.WaitForAsync(p => Report(p)?.Event is { Kind: UpdateEventKind.RolledBack }), step);

        Assert.Equal("42.3", Report(rolledBack)!.Event!.TargetVersion);
        Assert.True(Report(rolledBack)!.RollbackDetected);
        Assert.Equal("42.2", rig.Os.BootedVersion);
        var kinds = portal.PublishedTo(Topics.Deployments(DeviceId)).Select(Report).Where(r => r!.Event is not null).Select(r => $"{r!.Event!.Kind} {r.Event.TargetVersion}");
        Assert.Equal(["Started 42.2", "Staged 42.2", "Rebooting 42.2", "Succeeded 42.2", "Started 42.3", "Staged 42.3", "Rebooting 42.3", "RolledBack 42.3"], kinds);

        await stop.CancelAsync();
        await running.Within();
        Assert.Empty(logger.Errors);
        Assert.Empty(rig.Log.Errors);
    }

    private static DeploymentReport? Report(Published published) =>
        published.Topic == Topics.Deployments(DeviceId) ? published.Read(FleetJson.Default.DeploymentReport) : null;
}
