using System.Globalization;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceAgent.Identity;

/// <summary>Reads uptime and load averages from /proc under <see cref="AgentOptions.HostRoot"/>.</summary>
public sealed class LinuxHealthReader(IOptions<AgentOptions> options) : IHealthReader
{
    private readonly string _root = options.Value.HostRoot;

    public UptimeAndLoad Read()
    {
        // /proc/uptime: "seconds-since-boot idle-seconds"; /proc/loadavg: "l1 l5 l15 running/total lastpid".
        var uptime = ReadNumbers("proc/uptime", 1);
        var load = ReadNumbers("proc/loadavg", 3);
        return new UptimeAndLoad(uptime[0], load[0], load[1], load[2]);
    }

    private double[] ReadNumbers(string relativePath, int count)
    {
        var numbers = new double[count];
        try
        {
            var fields = File.ReadAllText(Path.Combine(_root, relativePath)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < count && i < fields.Length; i++)
            {
                _ = double.TryParse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture, out numbers[i]);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A heartbeat with zeros is better than no heartbeat: the portal still learns the device is alive.
        }

        return numbers;
    }
}
