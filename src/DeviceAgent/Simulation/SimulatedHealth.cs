using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Simulation;

/// <summary>
/// Synthetic health reports for simulated devices. Everything a device keeps is one int of traits drawn
/// from the seed; the rest is computed per report from the traits, the device index and the elapsed
/// time, and the parts that never change (OS, deployment, unit names) are shared by every device.
/// </summary>
internal static class SimulatedHealth
{
    private const long GiB = 1L << 30;

    private static readonly OsInfo Os = new("Fedora CoreOS 42.20250901.3.0", "42", "6.15.9-201.fc42.x86_64");
    private static readonly BootedDeployment Deployment = new("42.20250901.3.0", "9c1a3b4e5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff001", "fedora:fedora/x86_64/coreos/stable");
    private static readonly IReadOnlyList<string> NoUnits = [];
    private static readonly IReadOnlyList<string>[] FailedUnitSets =
    [
        ["zincati.service"],
        ["podman-auto-update.service"],
        ["chronyd.service", "NetworkManager-wait-online.service"],
    ];

    private static readonly TimeSyncState Synchronized = new(true, true);
    private static readonly TimeSyncState Unsynchronized = new(false, true);
    private static readonly long[] MemorySizes = [2 * GiB, 4 * GiB, 8 * GiB, 16 * GiB];
    private static readonly long[] DiskSizes = [16 * GiB, 32 * GiB, 64 * GiB, 128 * GiB];

    /// <summary>Per-device traits packed in an int: sizes, base usage, and which devices are in trouble.</summary>
    public static int DrawTraits(Random random) => random.Next();

    /// <summary>A hot disk (above 90 %), for alert rules to find.</summary>
    public static bool HasFullDisk(int traits) => (traits & 0x1F) == 1; // 1 in 32

    /// <summary>A hot CPU (above 85 °C).</summary>
    public static bool IsHot(int traits) => ((traits >> 5) & 0x1F) == 2; // 1 in 32

    /// <summary>Failed units present.</summary>
    public static bool HasFailedUnits(int traits) => ((traits >> 10) & 0x1F) == 3; // 1 in 32

    public static HealthReport Create(SimulatedDevice device, int traits, long sequence, DateTimeOffset sentAt, double elapsedSeconds)
    {
        var sample = device.Read();
        var index = device.Index;
        var wave = Math.Sin((elapsedSeconds / 120) + index); // -1..1, a few minutes per cycle
        var slow = Math.Sin((elapsedSeconds / 3600) + (index * 0.37));

        var memory = MemorySizes[(traits >> 15) & 3];
        var usedShare = 0.35 + (0.15 * ((traits >> 17) & 7) / 7.0) + (0.05 * wave);
        var swap = (traits & (1 << 20)) != 0 ? 2 * GiB : 0;

        var disk = DiskSizes[(traits >> 21) & 3];
        var diskShare = HasFullDisk(traits) ? 0.93 + (0.02 * slow) : 0.2 + (0.4 * ((traits >> 23) & 7) / 7.0) + (0.02 * slow);
        var diskUsed = (long)(disk * diskShare);

        var baseTemperature = IsHot(traits) ? 88 : 42 + ((traits >> 26) & 7);
        var rx = (long)((elapsedSeconds + sample.UptimeSeconds) * (2_000 + (index % 1_000)));
        var mac = device.Identity.Interfaces.Count > 0 ? device.Identity.Interfaces[0] : null;

        return new HealthReport(
            sequence,
            sentAt,
            sample.UptimeSeconds,
            Math.Round(Math.Clamp((sample.Load1 * 25) + (10 * wave) + 5, 0, 100), 1),
            new LoadAverages(sample.Load1, sample.Load5, sample.Load15),
            new MemoryUsage(memory, (long)(memory * (1 - usedShare)), swap, swap == 0 ? 0 : (long)(swap * 0.9)),
            [
                new FilesystemUsage("/sysroot", "/dev/vda4", "xfs", disk, diskUsed, disk - diskUsed),
                new FilesystemUsage("/boot", "/dev/vda3", "ext4", 384L << 20, 120L << 20, 240L << 20),
            ],
            [new TemperatureReading("thermal_zone0", "x86_pkg_temp", Math.Round(baseTemperature + (4 * wave), 1))],
            mac is null ? null : [new InterfaceCounters(mac.Name, mac.Mac, true, [], rx, rx / 5)],
            Os,
            Deployment,
            HasFailedUnits(traits) ? FailedUnitSets[index % FailedUnitSets.Length] : NoUnits,
            new ContainerSummary((traits >> 29) & 3, 0, (traits >> 29) & 3),
            (index % 97) == 5 ? Unsynchronized : Synchronized);
    }
}
