using Fleet.DeviceAgent;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Fleet.Portal.Data;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>The simulator's devices (the same DeviceRuntime as the real agent) against the real portal.</summary>
public sealed class SimulatedFleetTests : IAsyncLifetime
{
    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync() => _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
        ["Fleet:Devices:PendingRetrySeconds"] = "1",
    });

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    [Fact]
    public async Task Simulate_TwentyDevices_AllPendingThenApprovedAllOnlineThenAllOffline()
    {
        const int count = 20;
        var options = new AgentOptions { BrokerHost = "127.0.0.1", BrokerPort = _portal.MqttPort, KeepAliveSeconds = 5 };
        var factory = new MqttClientFactory();
        var runtimes = SimulatedFleet.Create(count, seed: 7, TimeProvider.System)
            .Select(d => new DeviceRuntime(d, d, new InMemoryStateStore(new AgentState(d.EnrollmentId, null, null)), options, factory.CreateMqttClient, TimeProvider.System, NullLogger.Instance))
            .ToList();
        using var stop = new CancellationTokenSource();
        var running = runtimes.Select(r => r.RunAsync(stop.Token)).ToList();

        var pending = await _portal.WaitForAsync(async () => await DevicesAsync(d => d.State == EnrollmentState.Pending) is { Count: count } all ? all : null, what: "20 pending");
        Assert.Equal(count, pending.Select(d => d.MachineId).Distinct().Count());
        Assert.Equal(count, pending.Select(d => d.PrimaryMac).Distinct().Count());
        Assert.All(pending, d => Assert.Null(d.Conflict));

        var results = await _portal.Devices.DecideManyAsync(pending.Select(d => d.Id), TestActors.Operator, approve: true);
        Assert.All(results.Values, r => Assert.Equal(Fleet.Portal.Features.Devices.DecisionResult.Done, r));
        await _portal.WaitForAsync(async () => await DevicesAsync(d => d.IsOnline) is { Count: count } all ? all : null, what: "20 online");

        await stop.CancelAsync();
        await Task.WhenAll(running);
        await _portal.WaitForAsync(async () => await DevicesAsync(d => !d.IsOnline && d.State == EnrollmentState.Approved) is { Count: count } all ? all : null, what: "20 offline");
    }

    private async Task<List<Device>> DevicesAsync(Func<Device, bool> match)
    {
        await using var db = await _portal.CreateDbAsync();
        return db.Devices.AsEnumerable().Where(match).ToList();
    }
}
