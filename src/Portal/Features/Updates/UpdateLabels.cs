using Fleet.Portal.Data;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Features.Updates;

/// <summary>How people read a device's OS-update state (the device page, the help-desk card, the rollout view);
/// the protocol and the API keep the enum names.</summary>
public static class UpdateLabels
{
    public static string Label(this DeviceUpdateStatus? status) => status switch
    {
        null => "not reported",
        DeviceUpdateStatus.Idle => "idle",
        DeviceUpdateStatus.Updating => "updating",
        DeviceUpdateStatus.Staged => "staged, waiting to reboot",
        DeviceUpdateStatus.Rebooting => "rebooting",
        DeviceUpdateStatus.Updated => "updated",
        DeviceUpdateStatus.Failed => "last update failed",
        _ => "rolled back",
    };

    /// <summary>A status as the rollout view counts it: its enum name, or "not reported".</summary>
    public static string StatusLabel(string status) =>
        Enum.TryParse<DeviceUpdateStatus>(status, out var known) ? ((DeviceUpdateStatus?)known).Label() : status;

    public static string Label(this GreenbootStatus? status) => status switch
    {
        GreenbootStatus.Green => "green",
        GreenbootStatus.Red => "red (health check failed)",
        GreenbootStatus.Unknown => "unknown",
        _ => "not reported",
    };

    public static string Label(this UpdateAgentKind? agent) => agent switch
    {
        UpdateAgentKind.Zincati => "Zincati",
        UpdateAgentKind.Fleet => "Fleet agent",
        UpdateAgentKind.None => "nobody (not rpm-ostree, or updates off)",
        _ => "not reported",
    };
}
