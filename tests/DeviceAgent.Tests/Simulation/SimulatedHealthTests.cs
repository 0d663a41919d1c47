using Fleet.DeviceAgent.Simulation;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Simulation;

public sealed class SimulatedHealthTests
{
    [Fact]
    public async Task CollectAsync_Fleet_PlausibleVaryingAndSomeDevicesInTrouble()
    {
        var time = new FakeTimeProvider();
        var devices = SimulatedFleet.Create(1_000, seed: 3, time);

        var first = await Task.WhenAll(devices.Select(d => d.CollectAsync(1, time.GetUtcNow(), TestContext.Current.CancellationToken)));
        time.Advance(TimeSpan.FromMinutes(3));
        var later = await devices[0].CollectAsync(2, time.GetUtcNow(), TestContext.Current.CancellationToken);

        Assert.All(first, r =>
        {
            Assert.InRange(r.CpuPercent!.Value, 0, 100);
            Assert.InRange(r.Memory!.AvailableBytes, 1, r.Memory.TotalBytes);
            Assert.All(r.Filesystems!, f => Assert.InRange(f.UsedBytes, 0, f.TotalBytes));
            Assert.InRange(r.Temperatures![0].Celsius, 20, 100);
            Assert.NotNull(r.Os);
            Assert.True(Fleet.Shared.UpdateRules.IsChecksum(r.Deployment!.Checksum));
            Assert.NotNull(r.FailedUnits);
        });
        Assert.InRange(first.Count(r => r.Filesystems![0].UsedBytes > 0.9 * r.Filesystems[0].TotalBytes), 10, 100);
        Assert.InRange(first.Count(r => r.Temperatures![0].Celsius > 80), 10, 100);
        Assert.InRange(first.Count(r => r.FailedUnits!.Count > 0), 10, 100);
        Assert.NotEqual(first[0].CpuPercent, later.CpuPercent);
        Assert.True(later.UptimeSeconds > first[0].UptimeSeconds);
    }

    [Fact]
    public async Task Create_SameSeed_SameHealthTraitsAndIdentities()
    {
        var time = new FakeTimeProvider();
        var a = SimulatedFleet.Create(50, seed: 9, time);
        var b = SimulatedFleet.Create(50, seed: 9, time);

        Assert.Equal(a.Select(d => (d.HealthTraits, d.Identity.MachineId)), b.Select(d => (d.HealthTraits, d.Identity.MachineId)));
        var reportA = await a[7].CollectAsync(1, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
        var reportB = await b[7].CollectAsync(1, DateTimeOffset.UnixEpoch, TestContext.Current.CancellationToken);
        Assert.Equal(
            System.Text.Json.JsonSerializer.Serialize(reportA, FleetJson.Default.HealthReport),
            System.Text.Json.JsonSerializer.Serialize(reportB, FleetJson.Default.HealthReport));
    }
}
