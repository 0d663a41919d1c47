using Fleet.Portal.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Health;

/// <summary>What one retention run did.</summary>
public sealed record RetentionResult(int BucketsWritten, int SamplesDeleted, int AggregatesDeleted, int HeartbeatsDeleted);

/// <summary>
/// Keeps the health tables bounded: raw samples older than <see cref="HealthOptions.RawRetentionHours"/>
/// are folded into 5-minute min/avg/max buckets and deleted; buckets older than
/// <see cref="HealthOptions.AggregateRetentionDays"/> and heartbeats older than
/// <see cref="HealthOptions.HeartbeatRetentionDays"/> are deleted.
/// </summary>
public sealed class HealthRetention(
    IDbContextFactory<FleetDbContext> dbFactory,
    TimeProvider time,
    IOptions<HealthOptions> options,
    ILogger<HealthRetention> logger) : BackgroundService
{
    public static readonly TimeSpan Bucket = TimeSpan.FromMinutes(5);

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>One run at the current time; the timer calls it, tests call it after moving the clock.</summary>
    public async Task<RetentionResult> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await RunAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    private async Task<RetentionResult> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var o = options.Value;

        // Only whole buckets are folded, so a bucket is never written from half its samples.
        var rawCutoff = Floor(now - TimeSpan.FromHours(o.RawRetentionHours));
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var buckets = await FoldAsync(db, rawCutoff, cancellationToken);
        var samples = await db.HealthSamples.Where(s => s.At < rawCutoff).ExecuteDeleteAsync(cancellationToken);
        var aggregateCutoff = now - TimeSpan.FromDays(o.AggregateRetentionDays);
        var aggregates = await db.HealthAggregates.Where(a => a.BucketStart < aggregateCutoff).ExecuteDeleteAsync(cancellationToken);
        var heartbeatCutoff = now - TimeSpan.FromDays(o.HeartbeatRetentionDays);
        var heartbeats = await db.Heartbeats.Where(h => h.ReceivedAt < heartbeatCutoff).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var result = new RetentionResult(buckets, samples, aggregates, heartbeats);
        if (buckets + samples + aggregates + heartbeats > 0)
        {
            logger.LogInformation("Health retention: {Result}", result);
        }

        return result;
    }

    public static DateTimeOffset Floor(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % Bucket.Ticks), TimeSpan.Zero);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(options.Value.RetentionIntervalMinutes), time);
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Health retention run failed; retrying at the next interval");
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// One INSERT … SELECT … GROUP BY over the samples to be pruned. Buckets already written (a run
    /// that committed the fold but whose delete was retried) are left as they are.
    /// </summary>
    private static Task<int> FoldAsync(FleetDbContext db, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite())
        {
            throw new NotSupportedException("Downsampling is written for SQLite's tick-encoded timestamps; add the PostgreSQL variant (date_bin) with the provider.");
        }

        // 3,000,000,000 ticks = 5 minutes (Bucket).
        return db.Database.ExecuteSqlRawAsync("""
            INSERT INTO "HealthAggregates" ("DeviceId", "BucketStart", "Samples",
                "CpuMin", "CpuAvg", "CpuMax", "MemoryMin", "MemoryAvg", "MemoryMax",
                "DiskMin", "DiskAvg", "DiskMax", "TemperatureMin", "TemperatureAvg", "TemperatureMax")
            SELECT "DeviceId", ("At" / 3000000000) * 3000000000, COUNT(*),
                MIN("CpuPercent"), AVG("CpuPercent"), MAX("CpuPercent"), MIN("MemoryPercent"), AVG("MemoryPercent"), MAX("MemoryPercent"),
                MIN("DiskPercent"), AVG("DiskPercent"), MAX("DiskPercent"), MIN("TemperatureCelsius"), AVG("TemperatureCelsius"), MAX("TemperatureCelsius")
            FROM "HealthSamples" WHERE "At" < {0}
            GROUP BY "DeviceId", ("At" / 3000000000)
            ON CONFLICT DO NOTHING
            """, [cutoff.UtcTicks], cancellationToken);
    }
}
