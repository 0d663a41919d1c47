using Fleet.Portal.Data;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Dashboard;

/// <summary>A device ranked by its worst of CPU, memory and disk use.</summary>
public sealed record WorstDevice(Guid Id, string Hostname, bool IsOnline, double? Cpu, double? Memory, double? Disk, double? Temperature, int? FailedUnits);

/// <summary>What the fleet dashboard shows, computed at <see cref="At"/>.</summary>
public sealed record DashboardSnapshot(
    DateTimeOffset At,
    FleetCounts Counts,
    IReadOnlyList<(string Version, int Count)> OsVersions,
    IReadOnlyList<(string Stream, int Count)> Streams,
    IReadOnlyList<AlertView> OpenAlerts,
    int OpenAlertCount,
    IReadOnlyList<WorstDevice> Worst);

/// <summary>
/// The dashboard's numbers, shared by every open dashboard and recomputed at most once per
/// <see cref="MaxAge"/>: a fleet sending thousands of reports a second costs a few grouped queries
/// a second, however many people watch.
/// </summary>
public sealed class DashboardQuery(IDbContextFactory<FleetDbContext> dbFactory, DeviceService devices, AlertService alerts, TimeProvider time) : IDisposable
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private DashboardSnapshot? _last;

    /// <param name="fresh">Ignore the cache (a page's first load after an alert change).</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    public async Task<DashboardSnapshot> GetAsync(bool fresh = false, CancellationToken cancellationToken = default)
    {
        if (!fresh && _last is { } cached && time.GetUtcNow() - cached.At < MaxAge)
        {
            return cached;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!fresh && _last is { } again && time.GetUtcNow() - again.At < MaxAge)
            {
                return again;
            }

            _last = await ComputeAsync(cancellationToken);
            return _last;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<DashboardSnapshot> ComputeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var counts = await devices.CountAsync(cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var approved = db.Devices.AsNoTracking().Where(d => d.State == EnrollmentState.Approved);
        var versions = await approved.GroupBy(d => d.BootedVersion ?? d.OsName)
            .Select(g => new { g.Key, Count = g.Count() }).OrderByDescending(x => x.Count).Take(12).ToListAsync(cancellationToken);
        var defaultStream = await db.UpdateSettings.AsNoTracking().Select(s => s.DefaultStream).FirstOrDefaultAsync(cancellationToken) ?? "stable";
        var streams = await (from d in approved
                             join g in db.DeviceGroups on d.GroupId equals g.Id into groups
                             from g in groups.DefaultIfEmpty()
                             group d by d.UpdateStreamOverride ?? g.StreamOverride ?? defaultStream into s
                             select new { s.Key, Count = s.Count() })
            .OrderByDescending(x => x.Count).Take(12).ToListAsync(cancellationToken);
        var worst = await (from h in db.DeviceHealth.AsNoTracking()
                           join d in db.Devices on h.DeviceId equals d.Id
                           where h.Worst != null
                           orderby h.Worst descending
                           select new WorstDevice(d.Id, d.Hostname, d.IsOnline, h.CpuPercent, h.MemoryPercent, h.DiskPercent, h.TemperatureCelsius, h.FailedUnits))
            .Take(10).ToListAsync(cancellationToken);
        var openCount = await db.Alerts.CountAsync(a => a.IsOpen, cancellationToken);
        var open = await alerts.ListAsync(openOnly: true, limit: 10, cancellationToken: cancellationToken);
        return new DashboardSnapshot(now, counts,
            versions.Select(v => (v.Key ?? "unknown", v.Count)).ToList(),
            streams.Select(s => (s.Key, s.Count)).ToList(),
            open, openCount, worst);
    }
}
