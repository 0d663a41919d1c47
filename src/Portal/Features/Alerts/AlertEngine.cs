using System.Threading.Channels;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Health;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Alerts;

/// <summary>
/// The single writer of alert instances. Report-driven rules run for the devices of each committed
/// ingest batch (coalesced: however many batches commit while one evaluation runs, the next covers
/// them all); clock-driven rules (offline, silent since connect) run on a timer. Evaluation runs
/// after the ingest commit, so a failing rule can never cost a device its acknowledged reports.
/// </summary>
public sealed class AlertEngine : BackgroundService
{
    private const int ChunkSize = 500;

    private readonly IDbContextFactory<FleetDbContext> _dbFactory;
    private readonly DeviceNotifier _devices;
    private readonly AlertNotifier _notifier;
    private readonly TimeProvider _time;
    private readonly IOptions<HealthOptions> _options;
    private readonly ILogger<AlertEngine> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly object _pendingLock = new();
    private HashSet<Guid> _pending = [];

    public AlertEngine(IDbContextFactory<FleetDbContext> dbFactory, DeviceNotifier devices, AlertNotifier notifier, TimeProvider time, IOptions<HealthOptions> options, ILogger<AlertEngine> logger)
    {
        _dbFactory = dbFactory;
        _devices = devices;
        _notifier = notifier;
        _time = time;
        _options = options;
        _logger = logger;
        _devices.DevicesChanged += OnDevicesChanged;
    }

    public override void Dispose()
    {
        _devices.DevicesChanged -= OnDevicesChanged;
        _gate.Dispose();
        base.Dispose();
    }

    /// <summary>Evaluates the report-driven rules for these devices now.</summary>
    public async Task<int> EvaluateDevicesAsync(IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
            var rules = (await db.AlertRules.AsNoTracking().Where(r => r.Enabled).ToListAsync(cancellationToken))
                .Where(r => !AlertEvaluator.IsTimeBased(r.Kind)).ToList();
            if (rules.Count == 0)
            {
                return 0;
            }

            var changes = 0;
            foreach (var chunk in deviceIds.Chunk(ChunkSize))
            {
                var subjects = await SubjectsAsync(db, db.Devices.Where(d => chunk.Contains(d.Id)), cancellationToken);
                var open = await db.Alerts.Where(a => a.IsOpen && chunk.Contains(a.DeviceId)).ToListAsync(cancellationToken);
                changes += Apply(db, rules, subjects, open);
            }

            return await SaveAsync(db, changes, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Evaluates the clock-driven rules over the whole fleet now.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
            var rules = (await db.AlertRules.AsNoTracking().Where(r => r.Enabled).ToListAsync(cancellationToken))
                .Where(r => AlertEvaluator.IsTimeBased(r.Kind)).ToList();
            var ruleIds = rules.Select(r => r.Id).ToList();
            var open = await db.Alerts.Where(a => a.IsOpen && ruleIds.Contains(a.RuleId)).ToListAsync(cancellationToken);
            if (rules.Count == 0)
            {
                return 0;
            }

            // Candidates: offline devices (offline rules), online ones (silence rules), and whoever has one open.
            var openDevices = open.Select(a => a.DeviceId).Distinct().ToList();
            var watchOnline = rules.Any(r => r.Kind == AlertKind.NoReportSinceConnect);
            var candidates = db.Devices.Where(d => (d.State == EnrollmentState.Approved && (!d.IsOnline || watchOnline)) || openDevices.Contains(d.Id));
            var subjects = await SubjectsAsync(db, candidates, cancellationToken);
            if (watchOnline)
            {
                var connected = await db.DeviceEvents.Where(e => e.Kind == "online")
                    .GroupBy(e => e.DeviceId).Select(g => new { g.Key, At = g.Max(e => e.At) })
                    .ToDictionaryAsync(x => x.Key, x => x.At, cancellationToken);
                subjects = subjects.Select(s => s with { ConnectedAt = connected.TryGetValue(s.DeviceId, out var at) ? at : null }).ToList();
            }

            return await SaveAsync(db, Apply(db, rules, subjects, open), cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.WhenAll(EvaluateChangedLoopAsync(stoppingToken), SweepLoopAsync(stoppingToken));
    }

    private async Task EvaluateChangedLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (await _signal.Reader.WaitToReadAsync(stoppingToken))
            {
                _signal.Reader.TryRead(out _);
                HashSet<Guid> ids;
                lock (_pendingLock)
                {
                    ids = _pending;
                    _pending = [];
                }

                await GuardAsync(() => EvaluateDevicesAsync(ids, stoppingToken), "device rules");
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task SweepLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.Value.AlertSweepSeconds), _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await GuardAsync(() => SweepAsync(stoppingToken), "time rules");
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task GuardAsync(Func<Task<int>> evaluate, string what)
    {
        try
        {
            await evaluate();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The next batch or tick evaluates again; one failure must not stop alerting.
            _logger.LogError(ex, "Alert evaluation ({What}) failed", what);
        }
    }

    private void OnDevicesChanged(IReadOnlyCollection<Guid> ids)
    {
        lock (_pendingLock)
        {
            _pending.UnionWith(ids);
        }

        _signal.Writer.TryWrite(true);
    }

    private static async Task<List<AlertSubject>> SubjectsAsync(FleetDbContext db, IQueryable<Device> devices, CancellationToken cancellationToken) =>
        await (from d in devices.AsNoTracking()
               join h in db.DeviceHealth.AsNoTracking() on d.Id equals h.DeviceId into health
               from h in health.DefaultIfEmpty()
               select new AlertSubject(d.Id, d.Hostname, d.GroupId, d.IsOnline, d.LastSeenAt, h, null))
            .ToListAsync(cancellationToken);

    private int Apply(FleetDbContext db, List<AlertRule> rules, List<AlertSubject> subjects, List<AlertInstance> open)
    {
        var now = _time.GetUtcNow();
        var openByKey = open.ToDictionary(a => (a.RuleId, a.DeviceId));
        var changes = 0;
        foreach (var subject in subjects)
        {
            foreach (var rule in rules)
            {
                openByKey.TryGetValue((rule.Id, subject.DeviceId), out var existing);
                var condition = AlertEvaluator.AppliesTo(rule, subject) ? AlertEvaluator.Evaluate(rule, subject, now) : new AlertCondition(false, null, string.Empty);
                if (condition.Holds && existing is null)
                {
                    db.Alerts.Add(new AlertInstance
                    {
                        RuleId = rule.Id,
                        DeviceId = subject.DeviceId,
                        Severity = rule.Severity,
                        Message = Truncate($"{rule.Name}: {condition.Message}"),
                        Value = condition.Value,
                        FiredAt = now,
                    });
                    _logger.LogInformation("Alert {Rule} fired on device {DeviceId:N}: {Message}", rule.Name, subject.DeviceId, condition.Message);
                    changes++;
                }
                else if (!condition.Holds && existing is not null)
                {
                    existing.IsOpen = false;
                    existing.ResolvedAt = now;
                    changes++;
                }
            }
        }

        return changes;
    }

    private async Task<int> SaveAsync(FleetDbContext db, int changes, CancellationToken cancellationToken)
    {
        if (changes > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            await _notifier.RefreshAsync(db, cancellationToken);
        }

        return changes;
    }

    private static string Truncate(string value) => value.Length <= 512 ? value : value[..511] + "…";
}
