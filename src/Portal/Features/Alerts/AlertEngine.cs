using System.Threading.Channels;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using System.Diagnostics;
using Fleet.Portal.Features.Health;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Alerts;

/// <summary>
/// The single writer of alert instances. Report-driven rules run for the devices of each committed
/// ingest batch (coalesced: however many batches commit while one evaluation runs, the next covers
/// them all); clock-driven rules (offline, silent since connect) run on a timer. Evaluation runs
/// after the ingest commit, so a failing rule can never cost a device its acknowledged reports. A rule fires again
/// on a device only after the hold-down (<see cref="AlertOptions.HoldDownMinutes"/>) since its last alert there
/// resolved; fired and resolved alerts are handed to <see cref="AlertDispatcher"/> for their rule's channels.
/// </summary>
public sealed class AlertEngine : BackgroundService
{
    private const int ChunkSize = 500;

    private readonly IDbContextFactory<FleetDbContext> _dbFactory;
    private readonly DeviceNotifier _devices;
    private readonly AlertNotifier _notifier;
    private readonly TimeProvider _time;
    private readonly IOptions<HealthOptions> _options;
    private readonly IOptions<AlertOptions> _alertOptions;
    private readonly AlertDispatcher _dispatcher;
    private readonly AlertMetrics _metrics;
    private readonly ILogger<AlertEngine> _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Channel<bool> _signal =
        Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly object _pendingLock = new();
    private HashSet<Guid> _pending = [];

    public AlertEngine(
        IDbContextFactory<FleetDbContext> dbFactory,
        DeviceNotifier devices,
        AlertNotifier notifier,
        AlertDispatcher dispatcher,
        AlertMetrics metrics,
        TimeProvider time,
        IOptions<HealthOptions> options,
        IOptions<AlertOptions> alertOptions,
        ILogger<AlertEngine> logger)
    {
        _dispatcher = dispatcher;
        _metrics = metrics;
        _alertOptions = alertOptions;
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
    public async Task<int> EvaluateDevicesAsync(
        IReadOnlyCollection<Guid> deviceIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        await _gate.WaitAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var evaluated = 0;
        try
        {
            await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
            var rules = (await EnabledRulesAsync(db, cancellationToken))
                .Where(r => !AlertEvaluator.IsTimeBased(r.Kind) && !AlertKinds.IsRaisedByCaller(r.Kind)).ToList();
            if (rules.Count == 0)
            {
                return 0;
            }

            var now = _time.GetUtcNow();
            var changes = new List<AlertChange>();
            foreach (var chunk in deviceIds.Chunk(ChunkSize))
            {
                var subjects = await SubjectsAsync(db, db.Devices.Where(d => chunk.Contains(d.Id)), cancellationToken);
                var open = await db.Alerts.Where(a => a.IsOpen && chunk.Contains(a.DeviceId))
                    .ToListAsync(cancellationToken);
                var held = await HeldDownAsync(db, a => chunk.Contains(a.DeviceId), now, cancellationToken);
                evaluated += subjects.Count;
                changes.AddRange(Apply(db, rules, subjects, open, held, now,
                    (rule, subject) => AlertEvaluator.Evaluate(rule, subject, now)));
            }

            return await SaveAsync(db, changes, now, cancellationToken);
        }
        finally
        {
            _gate.Release();
            _metrics.Evaluated("report", evaluated, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>Evaluates the clock-driven rules over the whole fleet now.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var evaluated = 0;
        try
        {
            await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
            var rules = (await EnabledRulesAsync(db, cancellationToken))
                .Where(r => AlertEvaluator.IsTimeBased(r.Kind)).ToList();
            if (rules.Count == 0)
            {
                return 0;
            }

            var ruleIds = rules.Select(r => r.Id).ToList();
            var open = await db.Alerts.Where(a => a.IsOpen && ruleIds.Contains(a.RuleId))
                .ToListAsync(cancellationToken);

            // Candidates: offline devices (offline rules), online ones (silence rules), and whoever has one open.
            var openDevices = open.Select(a => a.DeviceId).Distinct().ToList();
            var watchOnline = rules.Any(r => r.Kind == AlertKind.NoReportSinceConnect);
            var candidates = db.Devices.Where(d =>
                (d.State == EnrollmentState.Approved && (!d.IsOnline || watchOnline)) || openDevices.Contains(d.Id));
            var subjects = await SubjectsAsync(db, candidates, cancellationToken);
            if (watchOnline)
            {
                var connected = await db.DeviceEvents.Where(e => e.Kind == "online")
                    .GroupBy(e => e.DeviceId).Select(g => new { g.Key, At = g.Max(e => e.At) })
                    .ToDictionaryAsync(x => x.Key, x => x.At, cancellationToken);
                subjects = subjects.Select(s => s with
                {
                    ConnectedAt = connected.TryGetValue(s.DeviceId, out var at) ? at : null,
                }).ToList();
            }

            var now = _time.GetUtcNow();
            var held = await HeldDownAsync(db, a => ruleIds.Contains(a.RuleId), now, cancellationToken);
            evaluated = subjects.Count;
            var changes = Apply(db, rules, subjects, open, held, now,
                (rule, subject) => AlertEvaluator.Evaluate(rule, subject, now));
            return await SaveAsync(db, changes, now, cancellationToken);
        }
        finally
        {
            _gate.Release();
            _metrics.Evaluated("clock", evaluated, Stopwatch.GetElapsedTime(started));
        }
    }

    /// <summary>
    /// Opens (<paramref name="detail"/> not null) or closes the device's alerts of a kind another feature decides
    /// (<see cref="AlertKinds.IsRaisedByCaller"/>), under the same hold-down and notifications as metric rules.
    /// </summary>
    internal async Task<int> SetRaisedAsync(
        Guid deviceId, AlertKind kind, string? detail, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
            var rules = (await EnabledRulesAsync(db, cancellationToken)).Where(r => r.Kind == kind).ToList();
            var subjects = await SubjectsAsync(db, db.Devices.Where(d => d.Id == deviceId), cancellationToken);
            var open = await db.Alerts.Where(a => a.IsOpen && a.DeviceId == deviceId).ToListAsync(cancellationToken);
            if (rules.Count == 0 || subjects.Count == 0 || (detail is null && open.Count == 0))
            {
                return 0;
            }

            var now = _time.GetUtcNow();
            var held = await HeldDownAsync(db, a => a.DeviceId == deviceId, now, cancellationToken);
            var changes = Apply(db, rules, subjects, open, held, now, (rule, subject) =>
                new AlertCondition(detail is not null, null, $"{subject.Hostname}: {detail}"));
            return await SaveAsync(db, changes, now, cancellationToken);
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

    private static async Task<List<AlertRule>> EnabledRulesAsync(FleetDbContext db, CancellationToken ct) =>
        await db.AlertRules.AsNoTracking().Where(r => r.Enabled).ToListAsync(ct);

    private static async Task<List<AlertSubject>> SubjectsAsync(
        FleetDbContext db, IQueryable<Device> devices, CancellationToken cancellationToken) =>
        await (from d in devices.AsNoTracking()
               join h in db.DeviceHealth.AsNoTracking() on d.Id equals h.DeviceId into health
               from h in health.DefaultIfEmpty()
               select new AlertSubject(d.Id, d.Hostname, d.GroupId, d.IsOnline, d.LastSeenAt,
                   h == null ? null : new AlertReading(h.MemoryPercent, h.DiskPercent, h.FullestMount,
                       h.TemperatureCelsius, h.FailedUnits, h.ReceivedAt),
                   null))
            .ToListAsync(cancellationToken);

    /// <summary>Alerts resolved within the hold-down: their rule does not fire again on their device yet.</summary>
    private async Task<ILookup<(int RuleId, Guid DeviceId), DateTimeOffset>> HeldDownAsync(
        FleetDbContext db, System.Linq.Expressions.Expression<Func<AlertInstance, bool>> scope, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var since = now - TimeSpan.FromMinutes(_alertOptions.Value.HoldDownMinutes);
        var recent = await db.Alerts.AsNoTracking().Where(scope).Where(a => !a.IsOpen && a.ResolvedAt > since)
            .Select(a => new { a.RuleId, a.DeviceId, a.ResolvedAt })
            .ToListAsync(cancellationToken);
        return recent.ToLookup(a => (a.RuleId, a.DeviceId), a => a.ResolvedAt!.Value);
    }

    private List<AlertChange> Apply(
        FleetDbContext db, List<AlertRule> rules, List<AlertSubject> subjects, List<AlertInstance> open,
        ILookup<(int RuleId, Guid DeviceId), DateTimeOffset> heldDown, DateTimeOffset now,
        Func<AlertRule, AlertSubject, AlertCondition> evaluate)
    {
        var openByKey = open.ToDictionary(a => (a.RuleId, a.DeviceId));
        var changes = new List<AlertChange>();
        foreach (var subject in subjects)
        {
            foreach (var rule in rules)
            {
                openByKey.TryGetValue((rule.Id, subject.DeviceId), out var existing);
                var condition = AlertEvaluator.AppliesTo(rule, subject)
                    ? evaluate(rule, subject)
                    : new AlertCondition(false, null, string.Empty);
                if (condition.Holds && existing is null)
                {
                    // Hold-down: an alert of this rule resolved on this device lately; firing again at once would
                    // turn one lasting condition into a stream of alerts and notifications. Alerts the last edit
                    // of the rule closed (resolved at ChangedAt) do not count: the edited rule judges afresh.
                    if (heldDown[(rule.Id, subject.DeviceId)].Any(resolvedAt => resolvedAt > rule.ChangedAt))
                    {
                        continue;
                    }

                    var alert = new AlertInstance
                    {
                        RuleId = rule.Id,
                        DeviceId = subject.DeviceId,
                        Severity = rule.Severity,
                        Message = Truncate($"{rule.Name}: {condition.Message}"),
                        Value = condition.Value,
                        FiredAt = now,
                    };
                    db.Alerts.Add(alert);
                    _logger.LogInformation("Alert {Rule} fired on device {DeviceId:N}: {Message}",
                        rule.Name, subject.DeviceId, condition.Message);
                    changes.Add(new AlertChange(rule, alert, AlertEvent.Fired));
                }
                else if (!condition.Holds && existing is not null)
                {
                    existing.IsOpen = false;
                    existing.ResolvedAt = now;
                    changes.Add(new AlertChange(rule, existing, AlertEvent.Resolved));
                }
            }
        }

        return changes;
    }

    private async Task<int> SaveAsync(
        FleetDbContext db, List<AlertChange> changes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (changes.Count > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
            await _dispatcher.EnqueueAsync(db, changes, now, cancellationToken);
            await _notifier.RefreshAsync(db, cancellationToken);
        }

        return changes.Count;
    }

    private static string Truncate(string value) => value.Length <= 512 ? value : value[..511] + "…";
}
