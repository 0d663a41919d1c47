using System.Net.NetworkInformation;
using System.Net.Sockets;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Health;

/// <summary>
/// Network interfaces from <c>/sys/class/net/*</c> (address, operstate, statistics/rx_bytes, tx_bytes) with
/// their IP addresses from <see cref="NetworkInterface"/> (netlink); the loopback is left out.
/// </summary>
public sealed class InterfaceCollector(HostFiles files, Func<IReadOnlyDictionary<string, IReadOnlyList<string>>> addresses) : IHealthCollector
{
    /// <summary>Addresses kept per interface, so a report stays far below the 64 KiB payload limit.</summary>
    public const int MaxAddresses = 16;

    public InterfaceCollector(HostFiles files)
        : this(files, SystemAddresses)
    {
    }

    public string Name => "interfaces";

    public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        var directory = files.PathOf("/sys/class/net");
        if (!Directory.Exists(directory))
        {
            return Task.CompletedTask;
        }

        var ips = addresses();
        var result = new List<InterfaceCounters>();
        foreach (var path in Directory.EnumerateFileSystemEntries(directory).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name == "lo" || name.Length > Protocol.MaxFieldLength)
            {
                continue;
            }

            var mac = HostFiles.ReadLineOrNull(Path.Combine(path, "address"));
            var state = HostFiles.ReadLineOrNull(Path.Combine(path, "operstate"));
            result.Add(new InterfaceCounters(
                name,
                string.IsNullOrEmpty(mac) || mac == "00:00:00:00:00:00" ? null : mac,
                state == "up",
                ips.TryGetValue(name, out var list) ? list.Take(MaxAddresses).ToList() : [],
                Counter(path, "rx_bytes"),
                Counter(path, "tx_bytes")));
            if (result.Count == Protocol.MaxInterfaces)
            {
                break;
            }
        }

        draft.Interfaces = result;
        return Task.CompletedTask;
    }

    private static long Counter(string path, string name) =>
        HostFiles.ReadLineOrNull(Path.Combine(path, "statistics", name)) is { } text && long.TryParse(text, out var value) ? value : 0;

    private static IReadOnlyDictionary<string, IReadOnlyList<string>> SystemAddresses()
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            result[nic.Name] = nic.GetIPProperties().UnicastAddresses
                .Where(a => a.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
                .Select(a => $"{StripScope(a.Address.ToString())}/{a.PrefixLength}")
                .ToList();
        }

        return result;
    }

    private static string StripScope(string address)
    {
        var percent = address.IndexOf('%', StringComparison.Ordinal);
        return percent < 0 ? address : address[..percent];
    }
}
