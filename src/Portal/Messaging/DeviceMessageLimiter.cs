using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Messaging;

/// <summary>A device's allowance for one kind of message: a burst, then so many a minute on average.</summary>
internal sealed record MessageRate(InboundKind Kind, int Burst, double PerMinute);

/// <summary>
/// A token bucket per device and message kind, checked by the broker before a message is queued. A device over its
/// rate gets PUBACK "quota exceeded" instead of success: the message is refused, not acknowledged-and-lost, and it
/// costs the database nothing. A feature may register a <see cref="MessageRate"/> for its kind; every other kind has
/// <see cref="MqttOptions.DeviceMessagesPerMinute"/>, each kind in its own bucket so that a chatty kind cannot starve
/// another. Refusals are counted in <c>fleet.mqtt.rate_limited{kind}</c> (meter <c>Fleet.Mqtt</c>).
/// </summary>
internal sealed class DeviceMessageLimiter
{
    public const string MeterName = "Fleet.Mqtt";

    public const string RateLimitedName = "fleet.mqtt.rate_limited";

    private readonly Dictionary<InboundKind, TokenBuckets> _own = [];
    private readonly TokenBuckets _other;
    private readonly Counter<long> _refused;
    private readonly ILogger<DeviceMessageLimiter> _logger;

    // Flooding devices, per kind (only devices that were refused).
    private readonly RepeatedLog _refusals;

    public DeviceMessageLimiter(
        IEnumerable<MessageRate> rates,
        IOptions<MqttOptions> mqtt,
        TimeProvider time,
        IMeterFactory meters,
        ILogger<DeviceMessageLimiter> logger)
    {
        ArgumentNullException.ThrowIfNull(rates);
        ArgumentNullException.ThrowIfNull(mqtt);
        ArgumentNullException.ThrowIfNull(meters);
        foreach (var rate in rates)
        {
            _own[rate.Kind] = new TokenBuckets(rate.Burst, rate.PerMinute / 60.0, time);
        }

        _other = new TokenBuckets(mqtt.Value.DeviceMessageBurst, mqtt.Value.DeviceMessagesPerMinute / 60.0, time);
        _refused = meters.Create(MeterName).CreateCounter<long>(
            RateLimitedName, "{message}", "Device messages refused at the broker for their per-device rate, by kind");
        _logger = logger;
        _refusals = new RepeatedLog(time, TimeSpan.FromMinutes(1));
    }

    /// <summary>
    /// Takes one message of <paramref name="kind"/> from the device's allowance; false when it is spent.
    /// </summary>
    public bool TryAcquire(string deviceId, InboundKind kind)
    {
        var taken = _own.TryGetValue(kind, out var own) ? own.TryTake(deviceId) : _other.TryTake(Key(deviceId, kind));
        if (taken)
        {
            return true;
        }

        _refused.Add(1, new KeyValuePair<string, object?>("kind", kind.Name));

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

    private static string Key(string deviceId, InboundKind kind) => deviceId + "/" + kind.Name;
}
