using Fleet.Portal.Features.Health;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Messaging;

/// <summary>
/// A token bucket per device and message kind, checked by the broker before a message is queued. A device over its
/// rate gets PUBACK "quota exceeded" instead of success: the message is refused, not acknowledged-and-lost, and it
/// costs the database nothing. Health reports have their own limit (<see cref="HealthOptions"/>); heartbeats, status,
/// deployment and config reports share <see cref="MqttOptions.DeviceMessagesPerMinute"/>, each kind in its own bucket
/// so that a chatty kind cannot starve another.
/// </summary>
internal sealed class DeviceMessageLimiter
{
    private readonly TokenBuckets _health;
    private readonly TokenBuckets _other;
    private readonly IngestMetrics _metrics;
    private readonly ILogger<DeviceMessageLimiter> _logger;

    // Flooding devices, per kind (only devices that were refused).
    private readonly RepeatedLog _refusals;

    public DeviceMessageLimiter(
        IOptions<HealthOptions> health,
        IOptions<MqttOptions> mqtt,
        TimeProvider time,
        IngestMetrics metrics,
        ILogger<DeviceMessageLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(health);
        ArgumentNullException.ThrowIfNull(mqtt);
        _health = new TokenBuckets(health.Value.ReportBurst, health.Value.MaxReportsPerMinute / 60.0, time);
        _other = new TokenBuckets(mqtt.Value.DeviceMessageBurst, mqtt.Value.DeviceMessagesPerMinute / 60.0, time);
        (_metrics, _logger) = (metrics, logger);
        _refusals = new RepeatedLog(time, TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// Takes one message of <paramref name="kind"/> from the device's allowance; false when it is spent.
    /// </summary>
    public bool TryAcquire(string deviceId, InboundKind kind)
    {
        var taken = kind == InboundKind.Health ? _health.TryTake(deviceId) : _other.TryTake(Key(deviceId, kind));
        if (taken)
        {
            return true;
        }

        _metrics.Rejected("rate_limited");

        // One log line per device and kind per minute of flooding, however many messages it sends.
        if (_refusals.ShouldLog(Key(deviceId, kind), out var earlier))
        {
            _logger.LogWarning(
                "{Kind} messages from device {DeviceId} refused: over the per-device rate "
                + "({Earlier} more in the minute before)",
                kind, deviceId, earlier);
        }

        return false;
    }

    private static string Key(string deviceId, InboundKind kind) => kind switch
    {
        InboundKind.Heartbeat => deviceId + "/h",
        InboundKind.Status => deviceId + "/s",
        InboundKind.Deployments => deviceId + "/d",
        InboundKind.ConfigReport => deviceId + "/c",
        _ => deviceId + "/" + kind,
    };
}
