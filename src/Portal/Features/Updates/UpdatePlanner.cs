using Fleet.Portal.Data;

namespace Fleet.Portal.Features.Updates;

/// <summary>
/// How the settings of a device, its group, its stream and the fleet combine. The most specific wins:
/// stream and pin from the device, else its group (else the fleet default stream); a pause anywhere
/// (device, group, stream) stops updates.
/// </summary>
public static class UpdatePlanner
{
    public static string AssignedStream(Device? device, DeviceGroup? group, UpdateSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return device?.UpdateStreamOverride ?? group?.StreamOverride ?? settings.DefaultStream;
    }

    public static string StreamSource(Device? device, DeviceGroup? group) =>
        device?.UpdateStreamOverride is not null ? "device" : group?.StreamOverride is not null ? "group" : "fleet";

    /// <summary>Which level pauses updates ("device", "group", "stream"), and that level's pause; nulls when none does.</summary>
    public static (string? Level, IPausable? Pause) PausedBy(Device? device, DeviceGroup? group, UpdateStream? stream, DateTimeOffset now)
    {
        if (device is not null && Pause.IsActive(device, now))
        {
            return ("device", device);
        }

        if (group is not null && Pause.IsActive(group, now))
        {
            return ("group", group);
        }

        return stream is not null && Pause.IsActive(stream, now) ? ("stream", stream) : (null, null);
    }

    /// <summary>The pinned version and where the pin comes from ("device", "group"); nulls when unpinned.</summary>
    public static (string? Version, string? Level) Pin(Device? device, DeviceGroup? group) =>
        device?.PinnedVersion is { } own ? (own, "device")
        : group?.PinnedVersion is { } shared ? (shared, "group")
        : (null, null);
}
