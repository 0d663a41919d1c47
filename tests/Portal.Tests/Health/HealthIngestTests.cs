using System.Text;
using Fleet.Portal.Features.Health;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Portal.Tests.Health;

/// <summary>Health reports over the real broker into the real SQLite file: stored once, cleaned, limited.</summary>
public sealed class HealthIngestTests : IAsyncLifetime
{
    private PortalInstance _portal = null!;

    public async ValueTask InitializeAsync() => _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
    {
        ["Fleet:Health:ReportBurst"] = "5",
        ["Fleet:Health:MaxReportsPerMinute"] = "1",
    });

    public async ValueTask DisposeAsync() => await _portal.DisposeAsync();

    public static HealthReport Report(long sequence, DateTimeOffset? sentAt = null, double cpu = 12.5, double diskUsedPercent = 40, double celsius = 45) => new(
        sequence,
        sentAt ?? DateTimeOffset.UtcNow,
        UptimeSeconds: 1000 + sequence,
        CpuPercent: cpu,
        Load: new LoadAverages(0.5, 0.4, 0.3),
        Memory: new MemoryUsage(8_000_000_000, 6_000_000_000, 0, 0),
        Filesystems: [new FilesystemUsage("/sysroot", "/dev/vda4", "xfs", 100_000, (long)(diskUsedPercent * 1000), 100_000 - (long)(diskUsedPercent * 1000))],
        Temperatures: [new TemperatureReading("thermal_zone0", "x86_pkg_temp", celsius)],
        FailedUnits: []);

    [Fact]
    public async Task Report_SentTwice_StoredOnceWithLatestState()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "reporting");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");
        var report = Report(1);

        Assert.Equal(MqttClientPublishReasonCode.Success, await client.PublishAsync(Topics.Health(id), report, FleetJson.Default.HealthReport));
        Assert.Equal(MqttClientPublishReasonCode.Success, await client.PublishAsync(Topics.Health(id), report, FleetJson.Default.HealthReport));

        await using var db = await _portal.CreateDbAsync();
        var samples = await db.HealthSamples.Where(s => s.DeviceId == deviceId).ToListAsync();
        var sample = Assert.Single(samples);
        Assert.Equal((12.5, 25.0, 40.0, 45.0), (sample.CpuPercent, sample.MemoryPercent, sample.DiskPercent, sample.TemperatureCelsius));
        var latest = await db.DeviceHealth.SingleAsync(h => h.DeviceId == deviceId);
        Assert.Equal((1L, "/sysroot", 40.0), (latest.Sequence, latest.FullestMount, latest.Worst));
        Assert.True((await db.Devices.SingleAsync(d => d.Id == deviceId)).IsOnline);
    }

    [Fact]
    public async Task Report_ImpossibleValues_DroppedOrClampedAndLogged()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "broken-sensors");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");
        var report = Report(7, cpu: 104, celsius: 9999) with { Memory = new MemoryUsage(100, 200, 0, 0), UptimeSeconds = -5 };

        Assert.Equal(MqttClientPublishReasonCode.Success, await client.PublishAsync(Topics.Health(id), report, FleetJson.Default.HealthReport));

        var entry = await _portal.Logs.WaitForAsync(e => e.Message.Contains($"Health report 7 from device {id} stored with values adjusted", StringComparison.Ordinal));
        foreach (var field in new[] { "cpuPercent: 104 clamped to 100", "memory:", "uptimeSeconds:", "temperatures[0]:" })
        {
            Assert.Contains(field, entry.Message, StringComparison.Ordinal);
        }

        await using var db = await _portal.CreateDbAsync();
        var sample = await db.HealthSamples.SingleAsync(s => s.DeviceId == deviceId);
        Assert.Equal((100.0, (double?)null, (double?)null, (double?)null), (sample.CpuPercent, sample.MemoryPercent, sample.TemperatureCelsius, sample.UptimeSeconds));
    }

    [Fact]
    public async Task Report_ClockFarOff_ChartedAtArrivalButKeyKeepsSentAt()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "time-traveller");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");
        var future = new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero);

        await client.PublishAsync(Topics.Health(id), Report(3, future), FleetJson.Default.HealthReport);

        await using var db = await _portal.CreateDbAsync();
        var sample = await db.HealthSamples.SingleAsync(s => s.DeviceId == deviceId);
        Assert.Equal(future, sample.SentAt);
        Assert.Equal(sample.ReceivedAt, sample.At);
    }

    [Fact]
    public async Task Report_QueuedOneArrivesAfterANewer_ChartedAtItsOwnTimeLatestStaysNewest()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "backfilling");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");
        var now = DateTimeOffset.UtcNow;

        // The newest report first (the device's state now), then two it queued while the portal was unreachable.
        await PublishAsync(client, id, Report(10, now, cpu: 10) with { DroppedReports = 2 });
        await PublishAsync(client, id, Report(9, now.AddHours(-2), cpu: 90) with { DroppedReports = 2 });
        await PublishAsync(client, id, Report(8, now.AddDays(-8), cpu: 80) with { DroppedReports = -1 });

        await using var db = await _portal.CreateDbAsync();
        var samples = await db.HealthSamples.Where(s => s.DeviceId == deviceId).OrderBy(s => s.Sequence).ToListAsync();
        Assert.Equal([8L, 9L, 10L], samples.Select(s => s.Sequence));
        Assert.Equal(samples[2].SentAt, samples[2].At);
        Assert.Equal(now.AddHours(-2), samples[1].At);   // within Fleet:Health:MaxBackfillHours: its own time
        Assert.Equal(samples[0].ReceivedAt, samples[0].At);   // beyond it: arrival, as for a wrong clock
        var latest = await db.DeviceHealth.SingleAsync(h => h.DeviceId == deviceId);
        Assert.Equal((10L, 10.0), (latest.Sequence, latest.CpuPercent));
        var device = await db.Devices.SingleAsync(d => d.Id == deviceId);
        Assert.True(device.LastSeenAt >= samples[2].ReceivedAt);
        var view = await _portal.Services.GetRequiredService<HealthQueryService>().LatestAsync(deviceId);
        Assert.Equal(2, view!.Report!.DroppedReports);
        var adjusted = $"Health report 8 from device {id} stored with values adjusted";
        await _portal.Logs.WaitForAsync(e => e.Message.Contains(adjusted, StringComparison.Ordinal)
            && e.Message.Contains("droppedReports: -1 is not a count; dropped", StringComparison.Ordinal));
    }

    private static Task<MqttClientPublishReasonCode> PublishAsync(
        TestMqttClient client, string id, HealthReport report) =>
        client.PublishAsync(Topics.Health(id), report, FleetJson.Default.HealthReport);

    [Fact]
    public async Task Report_GarbageAndNegativeSequence_RejectedOthersStillFlow()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "garbage");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");

        Assert.Equal(MqttClientPublishReasonCode.Success, await client.PublishAsync(Topics.Health(id), Encoding.UTF8.GetBytes("{\"sequence\":1,\"sentAt\":\"2026-01-01T00:00:00Z\",\"cpuPercent\":[")));
        await client.PublishAsync(Topics.Health(id), Report(-1), FleetJson.Default.HealthReport);
        await client.PublishAsync(Topics.Health(id), Report(2), FleetJson.Default.HealthReport);

        await _portal.Logs.WaitForAsync(e => e.Message.Contains($"Health report from device {id} dropped: malformed JSON at $.cpuPercent", StringComparison.Ordinal));
        await _portal.Logs.WaitForAsync(e => e.Message.Contains($"Health report -1 from device {id} dropped: sequence_negative", StringComparison.Ordinal));
        await using var db = await _portal.CreateDbAsync();
        Assert.Equal([2L], await db.HealthSamples.Where(s => s.DeviceId == deviceId).Select(s => s.Sequence).ToListAsync());
    }

    [Fact]
    public async Task Report_Flood_RefusedWithQuotaExceededAfterBurst()
    {
        var (id, client) = await ApprovedDevice.ConnectAsync(_portal, "flooding");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");

        var codes = new List<MqttClientPublishReasonCode>();
        for (var i = 0; i < 8; i++)
        {
            codes.Add(await client.PublishAsync(Topics.Health(id), Report(i), FleetJson.Default.HealthReport));
        }

        Assert.Equal(5, codes.Count(c => c == MqttClientPublishReasonCode.Success));
        Assert.Equal(MqttClientPublishReasonCode.QuotaExceeded, codes[^1]);
        await using var db = await _portal.CreateDbAsync();
        Assert.Equal(5, await db.HealthSamples.CountAsync(s => s.DeviceId == deviceId)); // every acknowledged one, none refused
        await _portal.Logs.WaitForAsync(e =>
            e.Message.Contains($"Health messages from device {id} refused", StringComparison.Ordinal));
    }
}
