using Fleet.DeviceAgent.Health;
using Fleet.DeviceAgent.Identity;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Simulation;

/// <summary>A made-up device: fixed identity, uptime that advances with the clock, a load that drifts, synthetic health.</summary>
public sealed class SimulatedDevice(int index, DeviceIdentity identity, string enrollmentId, double bootUptimeSeconds, double baseLoad, TimeProvider time, int healthTraits = 0)
    : IIdentityCollector, IHealthReader, IHealthSource
{
    private readonly long _createdAt = time.GetTimestamp();

    public int Index => index;

    public DeviceIdentity Identity => identity;

    /// <summary>Derived from the seed, so a rerun with the same seed is recognised by the portal as the same devices.</summary>
    public string EnrollmentId => enrollmentId;

    public DeviceIdentity Collect() => identity;

    public UptimeAndLoad Read()
    {
        var elapsed = time.GetElapsedTime(_createdAt).TotalSeconds;

        // Smooth, phase-shifted waves: plausible graphs in the portal without a random generator per call.
        var wave = Math.Sin((elapsed / 300) + index);
        return new UptimeAndLoad(
            bootUptimeSeconds + elapsed,
            Math.Round(Math.Max(0, baseLoad * (1 + (0.5 * wave))), 2),
            Math.Round(Math.Max(0, baseLoad * (1 + (0.3 * wave))), 2),
            Math.Round(baseLoad, 2));
    }

    /// <summary>Traits of the synthetic health (sizes, a full disk, a hot CPU, failed units), drawn from the seed.</summary>
    public int HealthTraits => healthTraits;

    /// <summary>A plausible report computed on the spot: no I/O, completes synchronously.</summary>
    public Task<HealthReport> CollectAsync(long sequence, DateTimeOffset sentAt, CancellationToken cancellationToken) =>
        Task.FromResult(SimulatedHealth.Create(this, healthTraits, sequence, sentAt, time.GetElapsedTime(_createdAt).TotalSeconds));
}
