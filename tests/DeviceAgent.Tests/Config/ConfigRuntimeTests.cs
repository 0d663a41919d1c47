using System.Text.Json;
using Fleet.DeviceAgent.Config;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Config;

public sealed class ConfigRuntimeTests
{
    [Fact]
    public async Task RunAsync_PortalSendsDesiredConfig_AgentAppliesAndPublishesConfigReport()
    {
        await using var portal = await FakePortal.StartAsync(p => p.Credentials["dev-1"] = "secret-1");
        using var rig = new ConfigRig();
        var logger = new RecordingLogger();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1", BrokerPort = portal.Port, PlainMqtt = true, TimeoutSeconds = 5,
        };
        var store = new InMemoryStateStore(new AgentState("enroll-00112233445566778899aabbccddeeff", "dev-1", "secret-1"));
        var runtime = TestRuntime.Create(options, store, time, logger, [new ConfigModule(rig.Coordinator, logger)]);
        using var stop = new CancellationTokenSource();
        var coordinator = rig.Coordinator.RunAsync(stop.Token);
        var run = runtime.RunAsync(stop.Token);

        // Subscriptions are made before Online is published.
        await portal.WaitForAsync(p => p.Topic == Topics.Status("dev-1"));
        await portal.SendAsync(Topics.Config("dev-1"), ConfigRig.Desired(ButanePairs.Expected("29"), "cfg-3"), FleetJson.Default.DesiredConfig);
        var published = await portal.WaitForAsync(p => p.Topic == Topics.ConfigReport("dev-1"));
        await stop.CancelAsync();
        await Task.WhenAll(run, coordinator).Within();

        var report = published.Read(FleetJson.Default.ConfigReport);
        Assert.Equal("cfg-3", report.Version);
        Assert.Null(report.Error);
        Assert.Equal(4, report.Entries.Count(e => e.Outcome == ConfigEntryOutcome.Applied));
        Assert.Equal("iot-device-01", rig.Read("/etc/hostname"));
        Assert.Contains("\"outcome\":\"Applied\"", System.Text.Encoding.UTF8.GetString(published.Payload), StringComparison.Ordinal);
        Assert.Empty(logger.Errors);
    }
}
