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
        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1", BrokerPort = _portal.MqttPort, PlainMqtt = true, KeepAliveSeconds = 5,
        };
        var factory = new MqttClientFactory();
        var runtimes = SimulatedFleet.Create(count, seed: 7, TimeProvider.System)
            .Select(d => new DeviceRuntime(d, d, new InMemoryStateStore(new AgentState(d.EnrollmentId, null, null)), options, factory.CreateMqttClient, TimeProvider.System, NullLogger.Instance))
            .ToList();
        using var stop = new CancellationTokenSource();
        var running = runtimes.Select(r => r.RunAsync(stop.Token)).ToList();

        var pending = await AllAsync(count, d => d.State == EnrollmentState.Pending, "20 pending");
        Assert.Equal(count, pending.Select(d => d.MachineId).Distinct().Count());
        Assert.Equal(count, pending.Select(d => d.PrimaryMac).Distinct().Count());
        Assert.All(pending, d => Assert.Null(d.Conflict));

        var results = await _portal.Devices.DecideManyAsync(pending.Select(d => d.Id), TestActors.Operator, approve: true);
        Assert.All(results.Values, r => Assert.Equal(OutcomeKind.Done, r.Kind));
        await AllAsync(count, d => d.IsOnline, "20 online");

        await stop.CancelAsync();
        await Task.WhenAll(running);
        await AllAsync(count, d => !d.IsOnline && d.State == EnrollmentState.Approved, "20 offline");
    }

    [Fact]
    public async Task Simulate_RestartWithTheSameSeed_SameDevicesOnlineWithoutEnrollingAgain()
    {
        const int count = 12;
        var state = Path.Combine(Directory.CreateTempSubdirectory("fleet-sim-state-").FullName, "sim.json");
        string[] args =
        [
            "--count", "12", "--broker", $"127.0.0.1:{_portal.MqttPort}", "--seed", "7", "--state", state, "--plain",
        ];

        using (var firstStop = new CancellationTokenSource())
        {
            var first = SimulateCommand.RunAsync(args, firstStop.Token);
            var pending = await AllAsync(count, d => d.State == EnrollmentState.Pending, "12 pending");
            await _portal.Devices.DecideManyAsync(pending.Select(d => d.Id), TestActors.Operator, approve: true);
            await AllAsync(count, d => d.IsOnline, "12 online");
            await firstStop.CancelAsync();
            Assert.Equal(0, await first);
        }

        var before = (await AllAsync(count, d => !d.IsOnline, "12 offline"))
            .ToDictionary(d => d.Id, d => (Credential: Convert.ToHexString(d.CredentialHash!), d.LastRequestAt));

        using (var secondStop = new CancellationTokenSource())
        {
            var second = SimulateCommand.RunAsync(args, secondStop.Token);
            var online = await AllAsync(count, d => d.IsOnline, "12 online");
            await secondStop.CancelAsync();
            Assert.Equal(0, await second);

            // Back with the credential of the first run: no enrolment request, nothing re-issued, nothing refused.
            Assert.Equal(count, (await DevicesAsync(_ => true)).Count);
            Assert.All(online, d =>
            {
                Assert.Equal(before[d.Id].Credential, Convert.ToHexString(d.CredentialHash!));
                Assert.Equal(before[d.Id].LastRequestAt, d.LastRequestAt);
                Assert.Null(d.PendingCredentialHash);
            });
        }

        Assert.DoesNotContain(_portal.Logs.Entries, e => e.Message.Contains("does not match", StringComparison.Ordinal)
            || e.Message.Contains("Credential re-issued", StringComparison.Ordinal));
    }

    private Task<List<Device>> AllAsync(int count, Func<Device, bool> match, string what) => _portal.WaitForAsync(
        async () => await DevicesAsync(match) is { } all && all.Count == count ? all : null, what: what);

    private async Task<List<Device>> DevicesAsync(Func<Device, bool> match)
    {
        await using var db = await _portal.CreateDbAsync();
        return db.Devices.AsEnumerable().Where(match).ToList();
    }
}
