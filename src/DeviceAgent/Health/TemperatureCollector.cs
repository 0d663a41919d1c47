using Fleet.Shared.Messages;

namespace Fleet.DeviceAgent.Health;

/// <summary><c>/sys/class/thermal/thermal_zone*/temp</c> (millidegrees Celsius) and <c>type</c>. No zones: null.</summary>
public sealed class TemperatureCollector(HostFiles files) : IHealthCollector
{
    public const int MaxZones = 64;

    public string Name => "temperatures";

    public Task CollectAsync(HealthDraft draft, CancellationToken cancellationToken)
    {
        var directory = files.PathOf("/sys/class/thermal");
        if (!Directory.Exists(directory))
        {
            return Task.CompletedTask;
        }

        var readings = new List<TemperatureReading>();
        foreach (var zone in Directory.EnumerateDirectories(directory, "thermal_zone*").Order(StringComparer.Ordinal).Take(MaxZones))
        {
            // A zone whose sensor is off answers EIO or ENODATA on read; skip it rather than fail the rest.
            if (HostFiles.ReadLineOrNull(Path.Combine(zone, "temp")) is { Length: > 0 } temp && long.TryParse(temp, out var milli))
            {
                var type = HostFiles.ReadLineOrNull(Path.Combine(zone, "type")) ?? "unknown";
                readings.Add(new TemperatureReading(Path.GetFileName(zone), type, milli / 1000.0));
            }
        }

        draft.Temperatures = readings.Count > 0 ? readings : null;
        return Task.CompletedTask;
    }
}
