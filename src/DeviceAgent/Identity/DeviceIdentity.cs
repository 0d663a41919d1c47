using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Identity;

/// <summary>What a device says about itself when it asks to be enrolled.</summary>
public sealed record DeviceIdentity(
    string MachineId,
    string Hostname,
    string Architecture,
    string Kernel,
    IReadOnlyDictionary<string, string> OsRelease,
    IReadOnlyList<NetworkInterfaceInfo> Interfaces,
    string? SerialNumber = null)
{
    /// <summary>The MAC of the interface marked primary, for log lines; empty when the device has no NIC.</summary>
    public string PrimaryMac => Interfaces.FirstOrDefault(i => i.IsPrimary)?.Mac ?? string.Empty;
}

/// <summary>Collects the identity of the device the agent runs on (or pretends to run on).</summary>
public interface IIdentityCollector
{
    DeviceIdentity Collect();
}

/// <summary>Health figures that go into every heartbeat.</summary>
public readonly record struct UptimeAndLoad(double UptimeSeconds, double Load1, double Load5, double Load15);

/// <summary>Reads the device's current uptime and load.</summary>
public interface IHealthReader
{
    UptimeAndLoad Read();
}
