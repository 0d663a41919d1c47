using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Messaging;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>The real agent host against the real portal over TCP: enrol, approve, heartbeat, offline, restart.</summary>
public sealed class AgentEndToEndTests : IAsyncLifetime
{
    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync() => _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
        ["Fleet:Devices:OfflineTimeoutSeconds"] = "30",
        ["Fleet:Devices:PendingRetrySeconds"] = "1",
    });

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Agent_EnrolApproveRunStopRestart_OnlineHeartbeatsOfflineAndSameDeviceAgain()
    {
        var machineId = (await File.ReadAllTextAsync("/etc/machine-id")).Trim();
        var agent = await AgentHost.StartAsync(_portal.MqttPort);

        var pending = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.MachineId == machineId), what: "pending device");
        Assert.Equal(EnrollmentState.Pending, pending.State);
        Assert.Equal(Environment.MachineName, pending.Hostname);
        Assert.Contains(pending.Macs, m => m.IsPrimary);

        await _portal.Devices.ApproveAsync(pending.Id, TestActors.Operator);
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == pending.Id && d.IsOnline), what: "online");
        await _portal.WaitForAsync(async () => await HeartbeatCountAsync(pending.Id) >= 2 ? "ok" : null, what: "two heartbeats at the 1 s interval the portal set");

        var stateFile = Path.Combine(agent.StateDirectory, "state.json");
        Assert.True(File.Exists(stateFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stateFile));

        await agent.DisposeAsync();
        var offline = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == pending.Id && !d.IsOnline), what: "offline after clean stop");
        Assert.Equal(EnrollmentState.Approved, offline.State);

        // Restart with the kept state: straight back online with the stored credential, no new enrolment.
        await using var again = await AgentHost.StartAsync(_portal.MqttPort, agent.StateDirectory);
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == pending.Id && d.IsOnline), what: "online after restart");
        await using var db = await _portal.CreateDbAsync();
        Assert.Single(db.Devices.Where(d => d.MachineId == machineId));
    }

    [Fact]
    public async Task PresenceSweep_SilentPastTimeout_MarkedOfflineWithReason()
    {
        await using var agent = await AgentHost.StartAsync(_portal.MqttPort);
        var machineId = (await File.ReadAllTextAsync("/etc/machine-id")).Trim();
        var device = await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.MachineId == machineId), what: "pending device");
        await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device.Id && d.IsOnline), what: "online");

        // The sweep a timer would run 31 s from now: the device has not been heard from for longer than the timeout.
        var queue = _portal.Services.GetRequiredService<IngestQueue>();
        var later = DateTimeOffset.UtcNow.AddSeconds(31);
        var sweep = new InboundMessage(PresenceHandler.Sweep, string.Empty, ReadOnlyMemory<byte>.Empty, later);
        await queue.EnqueueAndWaitAsync(sweep, TestContext.Current.CancellationToken);

        // The agent is still alive, so its next heartbeat (1 s) brings it back: assert on the recorded transition.
        await using var db = await _portal.CreateDbAsync();
        Assert.Contains(db.DeviceEvents.Where(e => e.DeviceId == device.Id && e.Kind == "offline").Select(e => e.Message), m => m.Contains("not heard from for 30 s", StringComparison.Ordinal));
        await _portal.WaitForAsync(() => _portal.FindDeviceAsync(d => d.Id == device.Id && d.IsOnline), what: "online again on the next heartbeat");
    }

    private async Task<int> HeartbeatCountAsync(Guid id)
    {
        await using var db = await _portal.CreateDbAsync();
        return db.Heartbeats.Count(h => h.DeviceId == id);
    }
}
