using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Devices;

/// <summary>Section <c>Fleet:Devices</c>: how devices are told to behave and judged online.</summary>
public sealed class DeviceOptions
{
    public const string Section = "Fleet:Devices";

    /// <summary>Seconds between heartbeats, sent to every device when it comes online.</summary>
    [Range(1, 86_400)]
    public int HeartbeatIntervalSeconds { get; set; } = Shared.Protocol.DefaultHeartbeatIntervalSeconds;

    /// <summary>A device not heard from for this long is marked Offline even without a will message.</summary>
    [Range(2, 864_000)]
    public int OfflineTimeoutSeconds { get; set; } = 90;

    /// <summary>How often the last-seen timeout is checked.</summary>
    [Range(1, 3_600)]
    public int PresenceSweepSeconds { get; set; } = 5;

    /// <summary>How soon a pending agent is told to ask again.</summary>
    [Range(1, 3_600)]
    public int PendingRetrySeconds { get; set; } = 15;
}
