using System.Text.Json;
using Fleet.Portal.Data;

namespace Fleet.Portal.Features.Devices;

/// <summary>
/// How a device fact reads wherever it is shown (the device page's cards, the help-desk card, the update card):
/// one formatter per fact, so two cards never disagree about the same device.
/// </summary>
public static class DeviceText
{
    public const string NoNodeId = "unknown (machine-id is not a 128-bit id)";

    /// <summary>"16 d 0 h", "3 h 12 min", "4 min 2 s".</summary>
    public static string Uptime(double? seconds)
    {
        if (seconds is not { } s || double.IsNaN(s) || s < 0)
        {
            return "unknown";
        }

        var t = TimeSpan.FromSeconds(Math.Round(s));
        return t.TotalDays >= 1 ? $"{(int)t.TotalDays} d {t.Hours} h"
            : t.TotalHours >= 1 ? $"{t.Hours} h {t.Minutes} min"
            : $"{t.Minutes} min {t.Seconds} s";
    }

    /// <summary>The id Zincati names the device by: stored with the device, else computed from its machine-id
    /// (as it is stamped on the next save).</summary>
    public static string NodeId(string? nodeUuid, string? machineId) =>
        nodeUuid ?? Shared.NodeUuid.FromMachineId(machineId) ?? NoNodeId;

    /// <summary>
    /// The OS version the device booted (its deployment report), else the short booted commit, else the version its
    /// os-release stated at enrolment, marked as such; "not reported" only when none is known.
    /// </summary>
    public static string OsVersion(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var booted = device.BootedVersion
            ?? (device.BootedChecksum is { Length: >= 12 } sum ? sum[..12] : device.BootedChecksum);
        if (booted is not null)
        {
            return booted;
        }

        var release = OsRelease(device.OsReleaseJson);
        return (release.GetValueOrDefault("OSTREE_VERSION") ?? release.GetValueOrDefault("VERSION_ID")) is { } v
            ? $"{v} (os-release at enrolment; no deployment report yet)"
            : "not reported";
    }

    private static Dictionary<string, string> OsRelease(string? json)
    {
        try
        {
            return JsonSerializer.Deserialize(json ?? "{}", OsReleaseJson.Default.IReadOnlyDictionaryStringString)
                is { } values ? new(values, StringComparer.Ordinal) : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }
}
