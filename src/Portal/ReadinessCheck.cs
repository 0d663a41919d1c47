using Fleet.Portal.Data;
using Fleet.Portal.Messaging;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Fleet.Portal;

/// <summary>
/// <c>/readyz</c>: whether the portal can do its job now, not only whether it started. Unhealthy while the database is
/// not migrated, the broker not listening, the database cannot take a write (a held lock, a read-only file), the data
/// directory's file system is nearly full, or the ingest queue is full. Was: a full disk and a 60 s write lock left it
/// Healthy while nothing could be stored. The answer is computed at most every two seconds (the endpoint is anonymous
/// and the write probe takes SQLite's write lock for a moment).
/// </summary>
internal sealed class ReadinessCheck(
    DatabaseInitializer database,
    EmbeddedBroker broker,
    IngestQueue queue,
    FleetDataDirectory directory,
    IDbContextFactory<FleetDbContext> dbFactory,
    IOptions<StorageOptions> storage,
    IOptions<MqttOptions> mqtt,
    TimeProvider time,
    ILogger<ReadinessCheck> logger) : IHealthCheck, IDisposable
{
    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan WriteProbeTimeout = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (HealthCheckResult Result, long At)? _last;
    private string? _lastProblem;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context,
        CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } last && time.GetElapsedTime(last.At) < Reuse)
            {
                return last.Result;
            }

            var problem = await ProblemAsync(cancellationToken);
            if (problem != _lastProblem)
            {
                // Logged when it changes, not at every probe.
                if (problem is null)
                {
                    logger.LogInformation("Ready again (was: {Problem})", _lastProblem);
                }
                else
                {
                    logger.LogWarning("Not ready: {Problem}", problem);
                }

                _lastProblem = problem;
            }

            var result = problem is null ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy(problem);
            _last = (result, time.GetTimestamp());
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>Why the portal is not ready; null when it is.</summary>
    private async Task<string?> ProblemAsync(CancellationToken cancellationToken)
    {
        if (!database.IsReady)
        {
            return "database not migrated yet";
        }

        if (!broker.IsRunning)
        {
            return "MQTT broker not listening";
        }

        var free = FreeMegabytes();
        if (free is { } megabytes && megabytes < storage.Value.MinFreeDiskMegabytes)
        {
            return $"{megabytes} MiB free on the data directory's file system ({directory.Path}), "
                + $"under Fleet:Storage:MinFreeDiskMegabytes ({storage.Value.MinFreeDiskMegabytes})";
        }

        if (queue.Count >= mqtt.Value.IngestQueueCapacity)
        {
            return $"ingest queue full ({queue.Count} messages waiting for the database)";
        }

        return await WriteProblemAsync(cancellationToken);
    }

    /// <summary>
    /// Takes SQLite's write lock and lets it go at once: fails on a held lock or a read-only database.
    /// </summary>
    private async Task<string?> WriteProblemAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!db.Database.IsSqlite())
        {
            return await db.Database.CanConnectAsync(cancellationToken) ? null : "database unreachable";
        }

        var builder = new SqliteConnectionStringBuilder(db.Database.GetConnectionString())
        {
            DefaultTimeout = (int)WriteProbeTimeout.TotalSeconds,
            Pooling = false,
        };
        try
        {
            await using var connection = new SqliteConnection(builder.ToString());
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "BEGIN IMMEDIATE; ROLLBACK;";
            await command.ExecuteNonQueryAsync(cancellationToken);
            return null;
        }
        catch (SqliteException ex)
        {
            return $"database cannot be written: {ex.Message}";
        }
    }

    private long? FreeMegabytes()
    {
        try
        {
            return new DriveInfo(directory.Path).AvailableFreeSpace / (1024 * 1024);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }
}
