using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Health;

public enum HealthResolution
{
    /// <summary>Every stored sample.</summary>
    Raw,

    /// <summary>5-minute min/avg/max buckets (folded from raw samples where those are still kept).</summary>
    FiveMinutes,
}

/// <summary>Min, average and max of one metric over a point (all three equal for a raw sample).</summary>
public sealed record MetricStat(double Min, double Avg, double Max);

/// <summary>One point of a device's health history.</summary>
public sealed record HealthPoint(DateTimeOffset At, int Samples, MetricStat? Cpu, MetricStat? Memory, MetricStat? Disk, MetricStat? Temperature);

/// <summary>The latest state of one device with the full report it came from.</summary>
public sealed record DeviceHealthView(DeviceHealth State, HealthReport? Report);

/// <summary>Reads health for pages and the API: latest state and history at a resolution.</summary>
public sealed class HealthQueryService(IDbContextFactory<FleetDbContext> dbFactory)
{
    public static readonly TimeSpan MaxRange = TimeSpan.FromDays(31);

    public async Task<DeviceHealthView?> LatestAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var state = await db.DeviceHealth.AsNoTracking().SingleOrDefaultAsync(h => h.DeviceId == deviceId, cancellationToken);
        return state is null ? null : new DeviceHealthView(state, Parse(state.ReportJson));
    }

    /// <summary>History in [from, to), oldest first.</summary>
    public async Task<IReadOnlyList<HealthPoint>> HistoryAsync(Guid deviceId, DateTimeOffset from, DateTimeOffset to, HealthResolution resolution, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var raw = await db.HealthSamples.AsNoTracking()
            .Where(s => s.DeviceId == deviceId && s.At >= from && s.At < to)
            .OrderBy(s => s.At)
            .Select(s => new { s.At, s.CpuPercent, s.MemoryPercent, s.DiskPercent, s.TemperatureCelsius })
            .ToListAsync(cancellationToken);
        if (resolution == HealthResolution.Raw)
        {
            return raw.Select(s => new HealthPoint(s.At, 1, One(s.CpuPercent), One(s.MemoryPercent), One(s.DiskPercent), One(s.TemperatureCelsius))).ToList();
        }

        var folded = await db.HealthAggregates.AsNoTracking()
            .Where(a => a.DeviceId == deviceId && a.BucketStart >= HealthRetention.Floor(from) && a.BucketStart < to)
            .ToListAsync(cancellationToken);
        var points = folded.ToDictionary(a => a.BucketStart, a => new HealthPoint(a.BucketStart, a.Samples,
            Stat(a.CpuMin, a.CpuAvg, a.CpuMax), Stat(a.MemoryMin, a.MemoryAvg, a.MemoryMax), Stat(a.DiskMin, a.DiskAvg, a.DiskMax), Stat(a.TemperatureMin, a.TemperatureAvg, a.TemperatureMax)));
        foreach (var bucket in raw.GroupBy(s => HealthRetention.Floor(s.At)))
        {
            points.TryAdd(bucket.Key, new HealthPoint(bucket.Key, bucket.Count(),
                Fold(bucket.Select(s => s.CpuPercent)), Fold(bucket.Select(s => s.MemoryPercent)), Fold(bucket.Select(s => s.DiskPercent)), Fold(bucket.Select(s => s.TemperatureCelsius))));
        }

        return points.Values.OrderBy(p => p.At).ToList();
    }

    private static HealthReport? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, FleetJson.Default.HealthReport);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static MetricStat? One(double? value) => value is { } v ? new MetricStat(v, v, v) : null;

    private static MetricStat? Stat(double? min, double? avg, double? max) =>
        min is { } a && avg is { } b && max is { } c ? new MetricStat(a, b, c) : null;

    private static MetricStat? Fold(IEnumerable<double?> values)
    {
        var present = values.Where(v => v.HasValue).Select(v => v!.Value).ToList();
        return present.Count == 0 ? null : new MetricStat(present.Min(), present.Average(), present.Max());
    }
}
