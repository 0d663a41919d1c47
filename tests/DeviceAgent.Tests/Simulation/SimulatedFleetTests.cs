using Fleet.DeviceAgent.Runtime;
using Fleet.DeviceAgent.Simulation;
using Fleet.Shared;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.DeviceAgent.Tests.Simulation;

public sealed class SimulatedFleetTests
{
    [Fact]
    public void Create_TenThousandDevices_AllIdentifiersUnique()
    {
        var devices = SimulatedFleet.Create(10_000, seed: 7, new FakeTimeProvider());

        var macs = devices.SelectMany(d => d.Identity.Interfaces).Select(i => i.Mac).ToList();
        Assert.Equal(macs.Count, macs.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(10_000, devices.Select(d => d.Identity.MachineId).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(10_000, devices.Select(d => d.EnrollmentId).Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(10_000, devices.Select(d => d.Identity.Hostname).Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(devices, d => d.Identity.Interfaces.Count == 2);
    }

    [Fact]
    public void Create_Devices_HaveWellFormedIdentities()
    {
        var devices = SimulatedFleet.Create(500, seed: 1, new FakeTimeProvider());

        Assert.Equal("sim-00001", devices[0].Identity.Hostname);
        Assert.Equal("sim-00500", devices[^1].Identity.Hostname);
        Assert.Equal(["aarch64", "x86_64"], devices.Select(d => d.Identity.Architecture).Distinct().Order(StringComparer.Ordinal));
        Assert.All(devices, d =>
        {
            Assert.Matches("^[0-9a-f]{32}$", d.Identity.MachineId);
            Assert.True(EnrollmentIds.IsValid(d.EnrollmentId));
            Assert.Single(d.Identity.Interfaces, i => i.IsPrimary);
            Assert.Equal("coreos", d.Identity.OsRelease["VARIANT_ID"]);
            Assert.All(d.Identity.Interfaces, i =>
            {
                Assert.True(MacAddress.TryNormalize(i.Mac, out var normalized) && normalized == i.Mac);
                Assert.StartsWith("02:", i.Mac, StringComparison.Ordinal); // locally administered unicast
            });
        });
    }

    [Fact]
    public void Create_SameSeed_IsReproducible()
    {
        var first = SimulatedFleet.Create(50, seed: 99, new FakeTimeProvider());
        var second = SimulatedFleet.Create(50, seed: 99, new FakeTimeProvider());

        Assert.Equal(first.Select(Fingerprint), second.Select(Fingerprint));
    }

    [Fact]
    public void Create_DifferentSeeds_ProduceDifferentMacsAndIds()
    {
        var first = SimulatedFleet.Create(50, seed: 1, new FakeTimeProvider()).Select(Fingerprint);
        var second = SimulatedFleet.Create(50, seed: 2, new FakeTimeProvider()).Select(Fingerprint);

        Assert.Empty(first.Intersect(second));
    }

    [Fact]
    public void Read_ClockAdvances_UptimeAdvances()
    {
        var time = new FakeTimeProvider();
        var device = SimulatedFleet.Create(1, seed: 3, time)[0];
        var before = device.Read();

        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(before.UptimeSeconds + 300, device.Read().UptimeSeconds, precision: 6);
    }

    private static string Fingerprint(SimulatedDevice device) =>
        $"{device.EnrollmentId}|{device.Identity.MachineId}|{string.Join(',', device.Identity.Interfaces.Select(i => i.Mac))}";
}
