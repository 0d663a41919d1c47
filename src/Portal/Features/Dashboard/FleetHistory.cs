using Fleet.Portal.Components.Charts;
using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Dashboard;

/// <summary>The fleet over a window, one point per bucket: devices that sent a health report in it (the devices
/// online and reporting), reports a second, and alerts open at its end.</summary>
public sealed record FleetSeries(
    IReadOnlyList<TimePoint> Reporting, IReadOnlyList<TimePoint> ReportsPerSecond, IReadOnlyList<TimePoint> OpenAlerts);

/// <summary>
/// Fleet-level time series for the dashboard, from what is stored: health samples (and, past their retention, the
/// 5-minute aggregates) and the alerts' fired and resolved times. One grouped query per table and window, kept for
/// <see cref="MaxAge"/> and shared by every open dashboard.
/// </summary>
public sealed class FleetHistory(IDbContextFactory<FleetDbContext> dbFactory, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<TimeWindow, (DateTimeOffset At, FleetSeries Series)> _cache = [];

    /// <summary>The bucket a window is drawn in: a minute of the hour, 5 minutes of the day, an hour of the week.
    /// </summary>
    public static TimeSpan BucketOf(TimeWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return window.Span <= TimeSpan.FromHours(1) ? TimeSpan.FromMinutes(1)
            : window.Span <= TimeSpan.FromDays(1) ? TimeSpan.FromMinutes(5)
            : TimeSpan.FromHours(1);
    }

    public async Task<FleetSeries> GetAsync(TimeWindow window, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(window);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            if (_cache.TryGetValue(window, out var cached) && now - cached.At < MaxAge)
            {
                return cached.Series;
            }

            var series = await ComputeAsync(window, now, cancellationToken);
            _cache[window] = (now, series);
            return series;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<FleetSeries> ComputeAsync(
        TimeWindow window, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var bucket = BucketOf(window);
        var from = now - window.Span;
        var first = Floor(from, bucket);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!db.Database.IsSqlite())
        {
            throw new NotSupportedException("Fleet history is written for SQLite's tick-encoded timestamps.");
        }

        // Raw samples and aggregates never overlap in time (retention folds, then deletes, in one transaction).
        var raw = await db.Database.SqlQueryRaw<Bucket>("""
            SELECT ("At" / {0}) * {0} AS "Start", COUNT(*) AS "Reports", COUNT(DISTINCT "DeviceId") AS "Devices"
            FROM "HealthSamples" WHERE "At" >= {1} GROUP BY "At" / {0}
            """, bucket.Ticks, first.UtcTicks).ToListAsync(cancellationToken);
        var folded = await db.Database.SqlQueryRaw<Bucket>("""
            SELECT ("BucketStart" / {0}) * {0} AS "Start", SUM("Samples") AS "Reports",
                COUNT(DISTINCT "DeviceId") AS "Devices"
            FROM "HealthAggregates" WHERE "BucketStart" >= {1} GROUP BY "BucketStart" / {0}
            """, bucket.Ticks, first.UtcTicks).ToListAsync(cancellationToken);
        var buckets = raw.Concat(folded).GroupBy(b => b.Start)
            .Select(g => new Bucket { Start = g.Key, Reports = g.Sum(b => b.Reports), Devices = g.Max(b => b.Devices) })
            .OrderBy(b => b.Start).ToList();
        var alerts = await db.Alerts.AsNoTracking()
            .Where(a => a.FiredAt <= now && (a.ResolvedAt == null || a.ResolvedAt >= first))
            .Select(a => new { a.FiredAt, a.ResolvedAt }).ToListAsync(cancellationToken);

        List<TimePoint> reporting = [], rate = [], open = [];
        foreach (var b in buckets)
        {
            var start = new DateTimeOffset(b.Start, TimeSpan.Zero);
            var seconds = Math.Max(1, Math.Min(bucket.TotalSeconds, (now - start).TotalSeconds));
            reporting.Add(new(start, b.Devices));
            rate.Add(new(start, Math.Round(b.Reports / seconds, 4)));
        }

        for (var start = first; start <= now; start += bucket)
        {
            var end = start + bucket < now ? start + bucket : now;
            open.Add(new(start, alerts.Count(a => a.FiredAt <= end && (a.ResolvedAt is null || a.ResolvedAt > end))));
        }

        return new FleetSeries(reporting, rate, open);
    }

    private static DateTimeOffset Floor(DateTimeOffset at, TimeSpan bucket) =>
        new(at.UtcTicks - (at.UtcTicks % bucket.Ticks), TimeSpan.Zero);

    /// <summary>One bucket as the grouped queries return it (its start in UTC ticks).</summary>
    internal sealed class Bucket
    {
        public long Start { get; init; }

        public long Reports { get; init; }

        public long Devices { get; init; }
    }
}
