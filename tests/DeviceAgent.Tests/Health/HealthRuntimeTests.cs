using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.DeviceAgent.State;
using Fleet.DeviceAgent.Tests.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Health;

public sealed class HealthRuntimeTests
{
    private const string EnrollmentId = "enroll-00112233445566778899aabbccddeeff";

    private readonly RecordingLogger _logger = new();

    [Fact]
    public async Task RunAsync_PortalHealthInterval_SendsSampledReportsWithIncrementingSequence()
    {
        await using var portal = await FakePortal.StartAsync(p =>
        {
            p.Credentials["dev-1"] = "secret-1";
            p.SettingsOnOnline = new DeviceSettings(3600, HealthIntervalSeconds: 20);
        });
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var root = new TempDirectory();
        HealthFixture.Write(root);
        var files = new HostFiles(root.Path);
        var sampler = HealthCollectorTests.Sampler([new UptimeCollector(files), new MemoryCollector(files), new BrokenCollector()]);
        var runtime = CreateRuntime(portal, time, sampler);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        var first = (await portal.WaitForAsync(p => p.Topic == Topics.Health("dev-1"))).Read(FleetJson.Default.HealthReport);
        await Eventually.TrueAsync(() => runtime.Module<HealthModule>()!.Interval == TimeSpan.FromSeconds(20));
        var second = (await Eventually.AdvanceUntilAsync(
            time,
            portal.WaitForAsync(p => p.Topic == Topics.Health("dev-1") && p.Read(FleetJson.Default.HealthReport).Sequence == 2),
            TimeSpan.FromSeconds(1))).Read(FleetJson.Default.HealthReport);
        await Eventually.TrueAsync(() => runtime.Module<HealthModule>()!.Sent == 2);
        await stop.CancelAsync();
        await run.Within();

        Assert.Equal(1, first.Sequence);
        Assert.Equal(12345.67, first.UptimeSeconds);
        Assert.Equal(4_096_000_000, first.Memory!.TotalBytes);
        Assert.Equal(["broken: no such device"], first.CollectorErrors!);
        Assert.Null(first.Load);

        // Not before the portal's 20 s, and well short of the 60 s default (the upper bound allows for a slow machine).
        Assert.InRange(second.SentAt - first.SentAt, TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(40));
        Assert.Empty(_logger.Errors);
    }

    [Fact]
    public async Task RunAsync_FractionalOverride_KeepsItOverThePortalSetting()
    {
        await using var portal = await FakePortal.StartAsync(p =>
        {
            p.Credentials["dev-1"] = "secret-1";
            p.SettingsOnOnline = new DeviceSettings(3600, HealthIntervalSeconds: 300);
        });
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var device = SimulatedFleet.Create(1, seed: 11, time)[0];
        var runtime = CreateRuntime(portal, time, device, healthOverride: 0.5);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        var third = await Eventually.AdvanceUntilAsync(
            time,
            portal.WaitForAsync(p => p.Topic == Topics.Health("dev-1") && p.Read(FleetJson.Default.HealthReport).Sequence == 3),
            TimeSpan.FromMilliseconds(250));
        await stop.CancelAsync();
        await run.Within();

        Assert.Equal(TimeSpan.FromSeconds(0.5), runtime.Module<HealthModule>()!.Interval);
        var reports = portal.PublishedTo(Topics.Health("dev-1")).Select(p => p.Read(FleetJson.Default.HealthReport)).Take(3).ToList();
        Assert.Equal([1L, 2L, 3L], reports.Select(r => r.Sequence));
        Assert.InRange(reports[2].SentAt - reports[0].SentAt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        Assert.NotNull(third);
    }

    [Fact]
    public async Task RunAsync_BrokerRefusesAReport_KeptQueuedAndSentAgainUnchangedBeforeTheNext()
    {
        var refusals = 0;
        await using var portal = await FakePortal.StartAsync(p =>
        {
            p.Credentials["dev-1"] = "secret-1";
            p.Refuse = m => m.Topic == Topics.Health("dev-1") && Interlocked.Increment(ref refusals) == 1;
        });
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var device = SimulatedFleet.Create(1, seed: 11, time)[0];
        var runtime = CreateRuntime(portal, time, device, healthOverride: 10);
        using var stop = new CancellationTokenSource();
        var run = runtime.RunAsync(stop.Token);

        await Eventually.AdvanceUntilAsync(
            time,
            Eventually.TrueAsync(() => runtime.Module<HealthModule>()!.Sent == 3),
            TimeSpan.FromSeconds(1));
        await stop.CancelAsync();
        await run.Within();

        // Report 1 refused, then (30 s later) sent again byte for byte, ahead of the reports made meanwhile.
        var sent = portal.PublishedTo(Topics.Health("dev-1")).Take(4).ToList();
        Assert.Equal([1L, 1L, 2L, 3L], sent.Select(p => p.Read(FleetJson.Default.HealthReport).Sequence));
        Assert.Equal(sent[0].Payload, sent[1].Payload);
        Assert.Contains(_logger.Entries, e => e.Message.Contains("refused health report 1", StringComparison.Ordinal));
        Assert.Empty(_logger.Errors);
    }

    private DeviceRuntime CreateRuntime(
        FakePortal portal, TimeProvider time, IHealthSource health, double? healthOverride = null)
    {
        var options = new AgentOptions
        {
            BrokerHost = "127.0.0.1",
            BrokerPort = portal.Port,
            PlainMqtt = true,
            TimeoutSeconds = 5,
            HealthIntervalOverrideSeconds = healthOverride,
        };
        var store = new InMemoryStateStore(new AgentState(EnrollmentId, "dev-1", "secret-1"));
        var outbox = new HealthOutbox(null, new HealthAgentOptions(), time, _logger);
        return TestRuntime.Create(
            options, store, time, _logger, [new HealthModule(health, outbox, options, time, _logger)]);
    }

    private sealed class BrokenCollector : IHealthCollector
    {
        public string Name => "broken";

        public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken) => throw new IOException("no such device");
    }
}
