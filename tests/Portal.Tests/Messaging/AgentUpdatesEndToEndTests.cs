using System.Security.Cryptography;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.DeviceAgent.Updates;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>
/// The real agent host, with the bash rpm-ostree and systemctl stand-ins as its OS, against the real
/// portal's MQTT side, with the update endpoints played by <see cref="FakeUpdateServer"/> (the portal's public URL
/// for updates points there) so each reported step can be checked in isolation.
/// <c>Updates/FollowPauseFailHaltTests</c> runs the same agent against the portal's own graph and FleetLock.
/// </summary>
public sealed class AgentUpdatesEndToEndTests : IAsyncLifetime
{
    private readonly FakeOs _os = new("42.1", 1_000);
    private readonly FakeUpdateServer _updates = new();
    private readonly string _machineId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync()
    {
        // The portal's own policy, pointing the agent at the stand-in update server as its Cincinnati and FleetLock.
        _portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?>
            {
                ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
                ["Fleet:Devices:PendingRetrySeconds"] = "1",
                ["Fleet:Updates:PublicBaseUrl"] = _updates.BaseUrl,
            });
        await _portal.AddReleaseAsync("stable", "42.2");

        _os.WriteHostIdentity(_machineId, TestMqttClient.RandomMac());
    }

    public async ValueTask DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _updates.DisposeAsync();
        _os.Dispose();
    }

    [Fact]
    public async Task Agent_ReleaseOffered_PortalSeesEachStepAndTheOutcomeAfterTheReboot()
    {
        _updates.Offer(FakeOs.ReleaseOf("42.1", 1_000), _os.AddRelease("42.2", 2_000));
        var agent = await StartAgentAsync();
        var device = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.MachineId == _machineId), what: "pending device");
        await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator);

        // Online → policy → check → deploy → lock → "reboot" (the stand-in boots 42.2 at once).
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device.Id && d.UpdateStatus == DeviceUpdateStatus.Rebooting), what: "rebooting");
        await _portal.WaitForAsync(() => Task.FromResult(_os.Calls.Contains("systemctl reboot") ? "rebooted" : null), what: "the reboot (after the report reached the portal)");

        // A reboot restarts the agent; the new process judges the boot it finds.
        await agent.DisposeAsync();
        await using var afterReboot = await StartAgentAsync(agent.StateDirectory);
        var updated = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device.Id && d.UpdateStatus == DeviceUpdateStatus.Updated), what: "updated");

        Assert.Equal(("42.2", (string?)null, UpdateAgentKind.Fleet, GreenbootStatus.Green), (updated.BootedVersion, updated.StagedVersion, updated.UpdateAgent, updated.Greenboot));
        Assert.Equal(Shared.NodeUuid.FromMachineId(_machineId), updated.NodeUuid);
        // The rollout guard counted the outcome before the report that made the device Updated was acknowledged.
        Assert.Equal([("42.2", true)], await _portal.RolloutOutcomesAsync(device.Id));
        await using var db = await _portal.CreateDbAsync();
        var timeline = db.DeviceEvents.Where(e => e.DeviceId == device.Id && e.Kind == "update").OrderBy(e => e.Id).Select(e => e.Message).ToList();
        Assert.Equal(["Update to 42.2 started", "Update to 42.2 staged for the next boot", "Rebooting into 42.2", "Updated to 42.2"], timeline);
        Assert.Equal("/v1/steady-state", _updates.LockRequests.Last().Path);
        Assert.DoesNotContain(_portal.Logs.Entries, e => e.Level >= LogLevel.Error);
    }

    private Task<AgentHost> StartAgentAsync(string? stateDirectory = null) => AgentHost.StartAsync(
        _portal.MqttPort,
        stateDirectory,
        _os.Root,
        new Dictionary<string, string?> { ["Agent:Updates:CheckIntervalMinutes"] = "1" },
        s => s.AddSingleton<IProcessRunner>(_os.Runner));
}
