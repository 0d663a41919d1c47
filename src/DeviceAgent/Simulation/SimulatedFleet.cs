using Fleet.DeviceAgent.Identity;
using Fleet.DeviceAgent.Runtime;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Simulation;

/// <summary>
/// Generates simulated devices. Everything derives from the seed and the device index, so a run with the
/// same seed produces the same fleet (and the portal sees returning devices rather than new ones).
/// </summary>
public static class SimulatedFleet
{
    private const string FedoraCoreOsVersion = "42.20250901.3.0";

    private static readonly IReadOnlyDictionary<string, string> FedoraCoreOs = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["NAME"] = "Fedora Linux",
        ["VERSION"] = $"{FedoraCoreOsVersion} (CoreOS)",
        ["RELEASE_TYPE"] = "stable",
        ["ID"] = "fedora",
        ["VERSION_ID"] = "42",
        ["PLATFORM_ID"] = "platform:f42",
        ["PRETTY_NAME"] = $"Fedora CoreOS {FedoraCoreOsVersion}",
        ["CPE_NAME"] = "cpe:/o:fedoraproject:fedora:42",
        ["HOME_URL"] = "https://getfedora.org/coreos/",
        ["VARIANT"] = "CoreOS",
        ["VARIANT_ID"] = "coreos",
        ["OSTREE_VERSION"] = FedoraCoreOsVersion,
    };

    public static IReadOnlyList<SimulatedDevice> Create(int count, int seed, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, SimulateArguments.MaxCount);
        ArgumentNullException.ThrowIfNull(time);

        // Not security-relevant: simulated identities must be reproducible, which a CSPRNG cannot be.
        var random = new Random(seed);
        var healthRandom = new Random(unchecked((seed * 31) + 17)); // its own stream, so identities stay what they were before health existed
        var macSeed = new byte[2]; // so runs with different seeds use different MACs
        random.NextBytes(macSeed);
        var machineIds = new HashSet<string>(count, StringComparer.Ordinal);
        var devices = new List<SimulatedDevice>(count);
        Span<byte> bytes = stackalloc byte[16];
        for (var index = 0; index < count; index++)
        {
            string machineId;
            do
            {
                random.NextBytes(bytes);
                machineId = Convert.ToHexStringLower(bytes);
            }
            while (!machineIds.Add(machineId));

            random.NextBytes(bytes);
            var enrollmentId = EnrollmentIds.FromBytes(bytes);
            var isArm = random.Next(4) == 0;
            var nicCount = random.Next(3) == 0 ? 2 : 1;
            var bootUptime = random.Next(60, 30 * 86_400) + random.NextDouble();
            var baseLoad = random.NextDouble() * 2;
            var healthTraits = SimulatedHealth.DrawTraits(healthRandom);

            var architecture = isArm ? "aarch64" : "x86_64";
            var interfaces = new List<NetworkInterfaceInfo>(nicCount);
            for (var nic = 0; nic < nicCount; nic++)
            {
                var name = isArm ? $"eth{nic}" : $"enp{nic + 1}s0";
                interfaces.Add(new NetworkInterfaceInfo(name, Mac(macSeed[0], macSeed[1], index, nic), nic == 0));
            }

            var identity = new DeviceIdentity(
                machineId,
                $"sim-{index + 1:D5}",
                architecture,
                $"6.15.9-201.fc42.{architecture}",
                FedoraCoreOs,
                interfaces);
            devices.Add(new SimulatedDevice(index, identity, enrollmentId, bootUptime, baseLoad, time, healthTraits));
        }

        return devices;
    }

    /// <summary>
    /// 02:hh:pp:ii:ii:ii: locally administered unicast (02), two seed bytes, then index*2+nic in 24 bits,
    /// which makes MACs distinct within a run by construction, up to 8 million devices.
    /// </summary>
    internal static string Mac(byte seedHigh, byte seedLow, int index, int nic)
    {
        var serial = (index * 2) + nic;
        return MacAddress.Format([0x02, seedHigh, seedLow, (byte)(serial >> 16), (byte)(serial >> 8), (byte)serial]);
    }
}
