using System.Globalization;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Identity;

/// <summary>Reads the identity of a Linux host from /etc, /proc and /sys under <see cref="AgentOptions.HostRoot"/>.</summary>
public sealed class LinuxIdentityCollector(IOptions<AgentOptions> options) : IIdentityCollector
{
    private readonly string _root = options.Value.HostRoot;

    public DeviceIdentity Collect() => new(
        MachineId: OsReleaseParser.Truncate(ReadMachineId()),
        Hostname: OsReleaseParser.Truncate(ReadFirstLine("proc/sys/kernel/hostname") ?? Environment.MachineName),
        Architecture: KernelArchitecture.Current,
        Kernel: OsReleaseParser.Truncate(ReadFirstLine("proc/sys/kernel/osrelease") ?? "unknown"),
        OsRelease: ReadOsRelease(),
        Interfaces: ReadInterfaces(),
        SerialNumber: ReadSerialNumber());

    /// <summary>
    /// DMI serial (x86 and most servers) or the device-tree serial (ARM boards); absent when the
    /// firmware leaves it empty or fills it with a placeholder, so the help desk never searches on junk.
    /// </summary>
    internal string? ReadSerialNumber()
    {
        foreach (var path in new[] { "sys/class/dmi/id/product_serial", "sys/firmware/devicetree/base/serial-number" })
        {
            var value = ReadFirstLine(path)?.Trim('\0', ' ');
            if (!string.IsNullOrEmpty(value) && !IsPlaceholder(value))
            {
                return value.Length <= Protocol.MaxSerialNumberLength ? value : value[..Protocol.MaxSerialNumberLength];
            }
        }

        return null;
    }

    private static bool IsPlaceholder(string value) =>
        value.Equals("To Be Filled By O.E.M.", StringComparison.OrdinalIgnoreCase)
        || value.Equals("Default string", StringComparison.OrdinalIgnoreCase)
        || value.Equals("Not Specified", StringComparison.OrdinalIgnoreCase)
        || value.Equals("System Serial Number", StringComparison.OrdinalIgnoreCase)
        || value.Trim('0').Length == 0;

    internal IReadOnlyList<NetworkInterfaceInfo> ReadInterfaces()
    {
        var netDirectory = new DirectoryInfo(PathUnderRoot("sys/class/net"));
        if (!netDirectory.Exists)
        {
            return [];
        }

        // In sysfs every entry is a symlink into /sys/devices, so list entries rather than directories.
        var candidates = new List<(string Name, string Mac, bool IsPhysical)>();
        foreach (var entry in netDirectory.EnumerateFileSystemInfos())
        {
            if (entry.Name == "lo" || ReadFirstLine(Path.Combine(entry.FullName, "address")) is not { } address)
            {
                continue;
            }

            if (MacAddress.TryNormalize(address, out var mac) && !MacAddress.IsZero(mac))
            {
                candidates.Add((entry.Name, mac, Path.Exists(Path.Combine(entry.FullName, "device"))));
            }
        }

        if (candidates.Count == 0)
        {
            return [];
        }

        var defaultRoute = ReadDefaultRouteInterface();
        var byName = candidates.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var primary = byName.FirstOrDefault(c => c.Name == defaultRoute);
        if (primary.Name is null)
        {
            primary = byName.FirstOrDefault(c => c.IsPhysical);
        }

        if (primary.Name is null)
        {
            primary = byName[0];
        }

        // Primary first, then physical NICs, then virtual ones (veth, bridges), so that truncation on a
        // container host with hundreds of veths drops the interfaces that identify the machine least.
        return byName
            .OrderBy(c => c.Name == primary.Name ? 0 : c.IsPhysical ? 1 : 2)
            .Take(Protocol.MaxInterfaces)
            .Select(c => new NetworkInterfaceInfo(OsReleaseParser.Truncate(c.Name), c.Mac, c.Name == primary.Name))
            .ToList();
    }

    /// <summary>The interface of the up default route with the lowest metric, from /proc/net/route.</summary>
    internal string? ReadDefaultRouteInterface()
    {
        var path = PathUnderRoot("proc/net/route");
        if (!File.Exists(path))
        {
            return null;
        }

        const int RtfUp = 0x1;
        string? best = null;
        var bestMetric = long.MaxValue;
        foreach (var line in File.ReadLines(path).Skip(1))
        {
            var columns = line.Split('\t', ' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (columns.Length < 8 || columns[1] != "00000000" || columns[7] != "00000000")
            {
                continue;
            }

            if (!int.TryParse(columns[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags) || (flags & RtfUp) == 0)
            {
                continue;
            }

            if (long.TryParse(columns[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var metric) && metric < bestMetric)
            {
                best = columns[0];
                bestMetric = metric;
            }
        }

        return best;
    }

    private IReadOnlyDictionary<string, string> ReadOsRelease()
    {
        // os-release(5): /etc/os-release takes precedence, /usr/lib/os-release is the vendor fallback.
        foreach (var candidate in new[] { "etc/os-release", "usr/lib/os-release" })
        {
            var path = PathUnderRoot(candidate);
            if (File.Exists(path))
            {
                return OsReleaseParser.Parse(File.ReadAllText(path));
            }
        }

        return new Dictionary<string, string>();
    }

    private string ReadMachineId() =>
        ReadFirstLine("etc/machine-id") ?? ReadFirstLine("var/lib/dbus/machine-id") ?? string.Empty;

    private string? ReadFirstLine(string relativeOrFullPath)
    {
        var path = Path.IsPathRooted(relativeOrFullPath) ? relativeOrFullPath : PathUnderRoot(relativeOrFullPath);
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            using var reader = new StreamReader(path);
            var line = reader.ReadLine()?.Trim();
            return string.IsNullOrEmpty(line) ? null : line;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Some sysfs attributes refuse reads (e.g. address of a device being removed); treat as absent.
            return null;
        }
    }

    private string PathUnderRoot(string relative) => Path.Combine(_root, relative);
}
