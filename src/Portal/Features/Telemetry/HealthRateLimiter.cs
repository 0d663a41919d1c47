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
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    public bool TryAcquire(string deviceId)
    {
        var now = time.GetTimestamp();
        var bucket = _buckets.GetOrAdd(deviceId, static (_, capacity) => new Bucket(capacity), options.Value.ReportBurst);
        bool allowed;
        bool warn;
        lock (bucket)
        {
            var perTick = options.Value.MaxReportsPerMinute / 60.0 / time.TimestampFrequency;
            bucket.Tokens = Math.Min(options.Value.ReportBurst, bucket.Tokens + (now - bucket.Stamp) * perTick);
            bucket.Stamp = now;
            allowed = bucket.Tokens >= 1;
            if (allowed)
            {
                bucket.Tokens -= 1;
            }

            // One log line per device per minute of flooding, however many reports it sends.
            warn = !allowed && time.GetElapsedTime(bucket.WarnedAt, now) >= TimeSpan.FromMinutes(1);
            if (warn)
            {
                bucket.WarnedAt = now;
            }
        }

        if (!allowed)
        {
            metrics.Rejected("rate_limited");
            if (warn)
            {
                logger.LogWarning("Health reports from device {DeviceId} refused: more than {Rate}/min (burst {Burst}); further refusals this minute are only counted",
                    deviceId, options.Value.MaxReportsPerMinute, options.Value.ReportBurst);
            }
        }

        return allowed;
    }

    public void Forget(string deviceId) => _buckets.TryRemove(deviceId, out _);

    private sealed class Bucket(double tokens)
    {
        public double Tokens { get; set; } = tokens;

        public long Stamp { get; set; }

        public long WarnedAt { get; set; } = long.MinValue / 2;
    }
}
