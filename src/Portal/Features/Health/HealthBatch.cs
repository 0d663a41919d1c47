using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Health;

/// <summary>
/// The health reports of one ingest batch. <see cref="Add"/> validates and keeps them;
/// <see cref="FlushAsync"/> writes them in the pipeline's transaction: the samples (a re-delivered report
/// hits the key and is skipped), the per-device latest state (upserted) and each reporting device's last-seen time.
/// </summary>
internal sealed class HealthBatch(
    IOptions<HealthOptions> options, HealthMetrics metrics, TimeProvider time, ILogger<HealthBatch> logger)
{
    private readonly List<HealthSample> _samples = [];
    private readonly Dictionary<Guid, DeviceHealth> _latest = [];
    private readonly Dictionary<Guid, DateTimeOffset> _seen = [];
    private readonly Dictionary<int, int?> _intervals = [];
    private ChartWindow? _window;

    public int Count => _samples.Count;

    /// <summary>Reads and validates one report; false (logged and counted) when nothing of it can be stored.</summary>
    public bool Add(Guid deviceId, ReadOnlyMemory<byte> payload, DateTimeOffset receivedAt)
    {
        HealthReport? report;
        try
        {
            report = JsonSerializer.Deserialize(payload.Span, FleetJson.Default.HealthReport);
        }
        catch (JsonException ex)
        {
            logger.LogWarning("Health report from device {DeviceId:N} dropped: malformed JSON at {Path} (line {Line}, byte {Byte}): {Error}",
                deviceId, ex.Path ?? "$", ex.LineNumber, ex.BytePositionInLine, ex.Message);
            metrics.Rejected("malformed_json");
            return false;
        }

        if (report is null)
        {
            logger.LogWarning("Health report from device {DeviceId:N} dropped: payload is JSON null", deviceId);
            metrics.Rejected("malformed_json");
            return false;
        }

        _window ??= new(
            TimeSpan.FromHours(options.Value.MaxBackfillHours),
            TimeSpan.FromSeconds(options.Value.MaxClockSkewSeconds));
        var valid = HealthReportValidator.Validate(report, receivedAt, _window, out var reason);
        if (valid is null)
        {
            logger.LogWarning("Health report {Sequence} from device {DeviceId:N} dropped: {Reason}", report.Sequence, deviceId, reason);
            metrics.Rejected(reason!);
            return false;
        }

        if (valid.Adjustments.Count > 0)
        {
            logger.LogWarning("Health report {Sequence} from device {DeviceId:N} stored with values adjusted: {Adjustments}",
                report.Sequence, deviceId, string.Join("; ", valid.Adjustments.Select(a => $"{a.Field}: {a.Detail}")));
            foreach (var a in valid.Adjustments)
            {
                metrics.Adjusted(a.Field.Split('[')[0], a.Reason);
            }
        }

        var r = valid.Report;
        var fullest = HealthReportValidator.Fullest(r.Filesystems);
        var sample = new HealthSample
        {
            DeviceId = deviceId,
            Sequence = r.Sequence,
            SentAt = r.SentAt,
            At = valid.At,
            ReceivedAt = receivedAt,
            CpuPercent = r.CpuPercent,
            MemoryPercent = HealthReportValidator.MemoryPercent(r.Memory),
            SwapPercent = HealthReportValidator.SwapPercent(r.Memory),
            DiskPercent = fullest?.Percent,
            TemperatureCelsius = HealthReportValidator.Hottest(r.Temperatures),
            Load1 = r.Load?.One,
            UptimeSeconds = r.UptimeSeconds,
            FailedUnits = r.FailedUnits?.Count,
        };
        _samples.Add(sample);
        if (!_latest.TryGetValue(deviceId, out var current) || IsNewer(sample.Sequence, sample.At, receivedAt, current))
        {
            _latest[deviceId] = new DeviceHealth
            {
                DeviceId = deviceId,
                Sequence = sample.Sequence,
                At = sample.At,
                ReceivedAt = receivedAt,
                CpuPercent = sample.CpuPercent,
                MemoryPercent = sample.MemoryPercent,
                SwapPercent = sample.SwapPercent,
                DiskPercent = sample.DiskPercent,
                FullestMount = fullest?.Mount,
                TemperatureCelsius = sample.TemperatureCelsius,
                Load1 = sample.Load1,
                UptimeSeconds = sample.UptimeSeconds,
                FailedUnits = sample.FailedUnits,
                ReportJson = JsonSerializer.Serialize(r, FleetJson.Default.HealthReport),
                Worst = new[] { sample.CpuPercent, sample.MemoryPercent, sample.DiskPercent }.Max(),
            };
        }

        return true;
    }

    /// <summary>
    /// Whether a report (sequence, chart time, arrival) replaces <paramref name="current"/> as the device's latest
    /// state: the later chart time wins, so a report the agent queued, or a re-delivery, never takes the place of a
    /// newer one. A report charted at its arrival (its <c>sentAt</c> was not believed) and one charted at its own time
    /// cannot be compared by time; then the higher sequence wins. <see cref="UpsertLatestSql"/> applies the same rule.
    /// </summary>
    internal static bool IsNewer(long sequence, DateTimeOffset at, DateTimeOffset receivedAt, DeviceHealth current) =>
        (at == receivedAt) != (current.At == current.ReceivedAt) ? sequence >= current.Sequence : at >= current.At;

    /// <summary>The health interval to send a device: its group's, else the fleet default.</summary>
    public async Task<int?> IntervalForAsync(FleetDbContext db, Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(device);
        var groupId = device.GroupId ?? Updates.DeviceGroup.DefaultId;
        if (!_intervals.TryGetValue(groupId, out var own))
        {
            // Once per group and batch: every device coming online in a batch asks.
            _intervals[groupId] = own = await db.DeviceGroups.AsNoTracking().Where(g => g.Id == groupId).Select(g => g.HealthIntervalSeconds).FirstOrDefaultAsync(cancellationToken);
        }

        return own ?? options.Value.DefaultIntervalSeconds;
    }

    /// <summary>
    /// Marks a device as heard from at <paramref name="at"/> without tracking its entity: its
    /// <c>LastSeenAt</c> is written by <see cref="FlushAsync"/> with the samples (one prepared UPDATE per
    /// device and batch, instead of EF loading, tracking and saving a whole device row per report).
    /// </summary>
    public void Seen(Guid deviceId, DateTimeOffset at)
    {
        if (!_seen.TryGetValue(deviceId, out var last) || last < at)
        {
            _seen[deviceId] = at;
        }
    }

    /// <summary>Writes what <see cref="Add"/> and <see cref="Seen"/> kept; must run inside the batch's transaction.</summary>
    /// <remarks>
    /// One prepared single-row statement per table, executed once per row: the statement is compiled once a
    /// batch and each execution only binds values, which is SQLite's fastest way to write many rows (a
    /// multi-row VALUES list re-binds every parameter by name, a cost that grows with the square of its size).
    /// Standard SQL (SQLite 3.24+, PostgreSQL 9.5+).
    /// </remarks>
    public async Task FlushAsync(FleetDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var sqlite = db.Database.IsSqlite();   // asked once: the provider's name is looked up by reflection
        if (_samples.Count > 0)
        {
            await using var insert = Prepare(db, InsertSampleSql, 13);
            foreach (var s in _samples)
            {
                await ExecuteAsync(sqlite, insert, cancellationToken, Key(s.DeviceId), s.Sequence, Time(sqlite, s.SentAt), Time(sqlite, s.At), Time(sqlite, s.ReceivedAt),
                    s.CpuPercent, s.MemoryPercent, s.SwapPercent, s.DiskPercent, s.TemperatureCelsius, s.Load1, s.UptimeSeconds, s.FailedUnits);
            }
        }

        if (_latest.Count > 0)
        {
            await using var upsert = Prepare(db, UpsertLatestSql, LatestColumns.Length);
            foreach (var h in _latest.Values)
            {
                await ExecuteAsync(sqlite, upsert, cancellationToken, Key(h.DeviceId), h.Sequence, Time(sqlite, h.At), Time(sqlite, h.ReceivedAt), h.CpuPercent, h.MemoryPercent,
                    h.SwapPercent, h.DiskPercent, h.FullestMount, h.TemperatureCelsius, h.Load1, h.UptimeSeconds, h.FailedUnits, h.ReportJson, h.Worst);
            }
        }

        if (_seen.Count > 0)
        {
            await using var seen = Prepare(db, SeenSql, 2);
            foreach (var (deviceId, at) in _seen)
            {
                await ExecuteAsync(sqlite, seen, cancellationToken, Key(deviceId), Time(sqlite, at));
            }
        }

        metrics.Stored(_samples.Count);
    }

    /// <summary>Called once the batch's transaction committed: records receive-to-commit time per report.</summary>
    public void Committed()
    {
        var now = time.GetUtcNow();
        foreach (var sample in _samples)
        {
            metrics.Committed(now - sample.ReceivedAt);
        }
    }

    private const string InsertSampleSql = """
        INSERT INTO "HealthSamples" ("DeviceId", "Sequence", "SentAt", "At", "ReceivedAt", "CpuPercent", "MemoryPercent", "SwapPercent", "DiskPercent", "TemperatureCelsius", "Load1", "UptimeSeconds", "FailedUnits")
        VALUES (@p0, @p1, @p2, @p3, @p4, @p5, @p6, @p7, @p8, @p9, @p10, @p11, @p12) ON CONFLICT DO NOTHING
        """;

    private static readonly string[] LatestColumns = ["DeviceId", "Sequence", "At", "ReceivedAt", "CpuPercent", "MemoryPercent", "SwapPercent", "DiskPercent", "FullestMount", "TemperatureCelsius", "Load1", "UptimeSeconds", "FailedUnits", "ReportJson", "Worst"];

    // An older report arriving late (queued by the agent, or a re-delivery after a restart) must not overwrite a
    // newer state: the rule of IsNewer.
    private static readonly string UpsertLatestSql =
        $"INSERT INTO \"DeviceHealth\" ({string.Join(", ", LatestColumns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", LatestColumns.Select((_, i) => $"@p{i}"))})"
        + $" ON CONFLICT (\"DeviceId\") DO UPDATE SET {string.Join(", ", LatestColumns.Skip(1).Select(c => $"\"{c}\" = excluded.\"{c}\""))}"
        + " WHERE CASE WHEN (excluded.\"At\" = excluded.\"ReceivedAt\")"
        + " <> (\"DeviceHealth\".\"At\" = \"DeviceHealth\".\"ReceivedAt\")"
        + " THEN excluded.\"Sequence\" >= \"DeviceHealth\".\"Sequence\""
        + " ELSE excluded.\"At\" >= \"DeviceHealth\".\"At\" END";

    // Never moves last-seen backwards (a late re-delivery, or a newer time EF wrote for a tracked device).
    private const string SeenSql = """
        UPDATE "Devices" SET "LastSeenAt" = @p1 WHERE "Id" = @p0 AND ("LastSeenAt" IS NULL OR "LastSeenAt" < @p1)
        """;

    /// <summary>A command on the batch's connection and transaction with parameters @p0…, compiled on first use and reused.</summary>
    private static DbCommand Prepare(FleetDbContext db, string sql, int parameters)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        for (var i = 0; i < parameters; i++)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@p" + i.ToString(CultureInfo.InvariantCulture);
            command.Parameters.Add(parameter);
        }

        return command;
    }

    private static async Task ExecuteAsync(bool sqlite, DbCommand command, CancellationToken cancellationToken, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;   // DbParameters, so a null needs no CLR type to map
        }

        if (sqlite)
        {
            command.ExecuteNonQuery();   // Microsoft.Data.Sqlite's async methods run synchronously anyway, plus a Task each
        }
        else
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>How EF stores a Guid key on SQLite (upper-case text), so raw rows join with EF-written ones.</summary>
    private static string Key(Guid id) => id.ToString().ToUpperInvariant();

    /// <summary>SQLite keeps DateTimeOffset as UTC ticks (see <see cref="FleetDbContext"/>); other databases take it as is.</summary>
    private static object Time(bool sqlite, DateTimeOffset value) => sqlite ? value.UtcTicks : value;
}
