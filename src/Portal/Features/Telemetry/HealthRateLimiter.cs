using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Telemetry;

/// <summary>
/// A token bucket per device, checked by the broker before a health report is queued. A device over
/// its rate gets PUBACK "quota exceeded" instead of success: the report is refused, not
/// acknowledged-and-lost, and it costs the database nothing.
/// </summary>
public sealed class HealthRateLimiter(IOptions<HealthOptions> options, TimeProvider time, IngestMetrics metrics, ILogger<HealthRateLimiter> logger)
{
    private readonly Messaging.TokenBuckets _buckets = new(options.Value.ReportBurst, options.Value.MaxReportsPerMinute / 60.0, time);

    // When each flooding device was last warned about (only devices that were refused).
    private readonly ConcurrentDictionary<string, long> _warnedAt = new(StringComparer.Ordinal);

    public bool TryAcquire(string deviceId)
    {
        if (_buckets.TryTake(deviceId))
        {
            return true;
        }

        metrics.Rejected("rate_limited");

        // One log line per device per minute of flooding, however many reports it sends.
        var now = time.GetTimestamp();
        var warned = _warnedAt.TryGetValue(deviceId, out var last);
        if ((!warned || time.GetElapsedTime(last, now) >= TimeSpan.FromMinutes(1)) && (warned ? _warnedAt.TryUpdate(deviceId, now, last) : _warnedAt.TryAdd(deviceId, now)))
        {
            logger.LogWarning("Health reports from device {DeviceId} refused: more than {Rate}/min (burst {Burst}); further refusals this minute are only counted",
                deviceId, options.Value.MaxReportsPerMinute, options.Value.ReportBurst);
        }

        return false;
    }
}
