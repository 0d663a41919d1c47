using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Telemetry;

/// <summary>
/// The health reports of one ingest batch. <see cref="Add"/> validates and keeps them;
/// <see cref="FlushAsync"/> writes them in the pipeline's transaction as one multi-row INSERT of
/// samples (a re-delivered report hits the key and is skipped) and one multi-row upsert of the
/// per-device latest state. Both statements are standard SQL (SQLite 3.24+, PostgreSQL 9.5+).
/// </summary>
internal sealed class HealthBatch(IOptions<HealthOptions> options, IngestMetrics metrics, TimeProvider time, ILogger<HealthBatch> logger)
{
    /// <summary>
    /// Rows per statement. Small on purpose: binding a named parameter looks it up by a linear scan
    /// of the statement's parameters, so binding cost grows with the square of parameters per
    /// statement; 40 rows (≤ 600 parameters) keep it negligible while still saving 39 of 40 round trips.
    /// </summary>
    private const int RowsPerStatement = 40;

    private readonly List<HealthSample> _samples = [];
    private readonly Dictionary<Guid, DeviceHealth> _latest = [];

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

        var valid = HealthReportValidator.Validate(report, receivedAt, TimeSpan.FromSeconds(options.Value.MaxClockSkewSeconds), out var reason);
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
        if (!_latest.TryGetValue(deviceId, out var current) || current.At <= sample.At)
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

    /// <summary>The health interval to send a device: its group's, else the fleet default.</summary>
    public async Task<int?> IntervalForAsync(FleetDbContext db, Device device, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(device);
        var groupId = device.GroupId ?? Updates.DeviceGroup.DefaultId;
        var own = await db.DeviceGroups.AsNoTracking().Where(g => g.Id == groupId).Select(g => g.HealthIntervalSeconds).FirstOrDefaultAsync(cancellationToken);
        return own ?? options.Value.DefaultIntervalSeconds;
    }

    /// <summary>Writes what <see cref="Add"/> kept; must run inside the batch's transaction.</summary>
    public async Task FlushAsync(FleetDbContext db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        foreach (var chunk in _samples.Chunk(RowsPerStatement))
        {
            await InsertSamplesAsync(db, chunk, cancellationToken);
        }

        foreach (var chunk in _latest.Values.Chunk(RowsPerStatement))
        {
            await UpsertLatestAsync(db, chunk, cancellationToken);
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

    private static Task<int> InsertSamplesAsync(FleetDbContext db, HealthSample[] rows, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("""
            INSERT INTO "HealthSamples" ("DeviceId", "Sequence", "SentAt", "At", "ReceivedAt", "CpuPercent", "MemoryPercent", "SwapPercent", "DiskPercent", "TemperatureCelsius", "Load1", "UptimeSeconds", "FailedUnits") VALUES
            """);
        var parameters = new List<object?>(rows.Length * 13);
        foreach (var s in rows)
        {
            Row(db, sql, parameters, [Key(s.DeviceId), s.Sequence, Time(db, s.SentAt), Time(db, s.At), Time(db, s.ReceivedAt), s.CpuPercent, s.MemoryPercent, s.SwapPercent, s.DiskPercent, s.TemperatureCelsius, s.Load1, s.UptimeSeconds, s.FailedUnits]);
        }

        sql.Append(" ON CONFLICT DO NOTHING");
        return db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters!, cancellationToken);
    }

    private static Task<int> UpsertLatestAsync(FleetDbContext db, DeviceHealth[] rows, CancellationToken cancellationToken)
    {
        string[] columns = ["DeviceId", "Sequence", "At", "ReceivedAt", "CpuPercent", "MemoryPercent", "SwapPercent", "DiskPercent", "FullestMount", "TemperatureCelsius", "Load1", "UptimeSeconds", "FailedUnits", "ReportJson", "Worst"];
        var sql = new StringBuilder($"INSERT INTO \"DeviceHealth\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) VALUES ");
        var parameters = new List<object?>(rows.Length * columns.Length);
        foreach (var h in rows)
        {
            Row(db, sql, parameters, [Key(h.DeviceId), h.Sequence, Time(db, h.At), Time(db, h.ReceivedAt), h.CpuPercent, h.MemoryPercent, h.SwapPercent, h.DiskPercent, h.FullestMount, h.TemperatureCelsius, h.Load1, h.UptimeSeconds, h.FailedUnits, h.ReportJson, h.Worst]);
        }

        // An older report arriving late (a re-delivery after a restart) must not overwrite a newer state.
        sql.Append(" ON CONFLICT (\"DeviceId\") DO UPDATE SET ")
            .AppendJoin(", ", columns.Skip(1).Select(c => $"\"{c}\" = excluded.\"{c}\""))
            .Append(" WHERE excluded.\"At\" >= \"DeviceHealth\".\"At\"");
        return db.Database.ExecuteSqlRawAsync(sql.ToString(), parameters!, cancellationToken);
    }

    /// <summary>Appends one VALUES row; DbParameters (not bare values) so a null needs no CLR type to map.</summary>
    private static void Row(FleetDbContext db, StringBuilder sql, List<object?> parameters, object?[] values)
    {
        sql.Append(parameters.Count == 0 ? " (" : ", (");
        using var factory = db.Database.GetDbConnection().CreateCommand();
        for (var i = 0; i < values.Length; i++)
        {
            var parameter = factory.CreateParameter();
            parameter.ParameterName = "@p" + parameters.Count.ToString(CultureInfo.InvariantCulture);
            parameter.Value = values[i] ?? DBNull.Value;
            sql.Append(i == 0 ? string.Empty : ", ").Append(parameter.ParameterName);
            parameters.Add(parameter);
        }

        sql.Append(')');
    }

    /// <summary>How EF stores a Guid key on SQLite (upper-case text), so raw rows join with EF-written ones.</summary>
    private static string Key(Guid id) => id.ToString().ToUpperInvariant();

    /// <summary>SQLite keeps DateTimeOffset as UTC ticks (see <see cref="FleetDbContext"/>); other databases take it as is.</summary>
    private static object Time(FleetDbContext db, DateTimeOffset value) => db.Database.IsSqlite() ? value.UtcTicks : value;
}
