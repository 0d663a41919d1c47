using Fleet.Portal.Data;
using Fleet.Portal.Features.Commands;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Power;

/// <summary>
/// Carries out the groups' power plans every <see cref="PowerOptions.EvaluationSeconds"/> (on the injected clock):
/// decides each plan (<see cref="PowerPlanner"/>), powers devices off (<see cref="CommandKinds.PowerOff"/> through
/// <see cref="CommandService"/>, as <see cref="Actor.System"/>, audited there) or wakes them
/// (<see cref="WakeService"/>), and records the planned and actual on-counts for the group's chart.
/// </summary>
public sealed class PowerEvaluator(
    IDbContextFactory<FleetDbContext> dbFactory,
    CommandService commands,
    WakeService wake,
    IOptions<PowerOptions> options,
    TimeProvider time,
    ILogger<PowerEvaluator> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Evaluates every enabled plan once; returns the decisions by group id.</summary>
    public async Task<IReadOnlyDictionary<int, PowerDecision>> EvaluateAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var now = time.GetUtcNow();
            var decisions = new Dictionary<int, PowerDecision>();
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            foreach (var plan in await db.PowerPlans.Where(p => p.Enabled).ToListAsync(cancellationToken))
            {
                decisions[plan.GroupId] = await EvaluateAsync(db, plan, now, cancellationToken);
            }

            var cutoff = now - TimeSpan.FromDays(options.Value.HistoryDays);
            await db.PowerSamples.Where(s => s.At < cutoff).ExecuteDeleteAsync(cancellationToken);
            return decisions;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.EvaluationSeconds), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await EvaluateAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is DbUpdateException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning(ex, "Power plan evaluation failed; trying again at the next tick");
            }
        }
    }

    private async Task<PowerDecision> EvaluateAsync(
        FleetDbContext db, PowerPlan plan, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var isDefault = plan.GroupId == DeviceGroup.DefaultId;
        var devices = await db.Devices.AsNoTracking()
            .Where(d => d.State == EnrollmentState.Approved
                && (d.GroupId == plan.GroupId || (isDefault && d.GroupId == null)))
            .GroupJoin(db.DeviceHealth.AsNoTracking(), d => d.Id, h => h.DeviceId, (d, h) => new { d, h })
            .SelectMany(x => x.h.DefaultIfEmpty(), (x, h) => new Member(
                x.d.Id, x.d.Hostname, x.d.IsOnline, x.d.LastSeenAt, h == null ? null : h.CpuPercent))
            .ToListAsync(cancellationToken);
        var online = devices.Where(d => d.IsOnline).ToList();
        var loads = online.Where(d => d.Cpu is not null).Select(d => d.Cpu!.Value).ToList();
        var group = new GroupPower(devices.Count, online.Count, loads.Count == 0 ? null : loads.Average());
        var scheduled = plan.Mode == PowerPlanMode.Schedule && TimeZoneInfo.TryFindSystemTimeZoneById(plan.TimeZone,
            out var zone) ? PowerPlanner.ScheduledAt(PowerPlanner.ParseSchedule(plan.Schedule, []), zone, now) : null;
        var decision = PowerPlanner.Decide(plan, group, now, TimeSpan.FromMinutes(options.Value.SettleMinutes),
            scheduled);
        var why = decision.Why;
        if (decision.PowerOff > 0)
        {
            why += await PowerOffAsync(online, decision.PowerOff, cancellationToken);
        }
        else if (decision.Wake > 0)
        {
            why += await WakeAsync(devices.Where(d => !d.IsOnline), decision.Wake, cancellationToken);
        }

        if (decision.PowerOff > 0 || decision.Wake > 0)
        {
            plan.LastActionAt = now;
        }

        plan.Target = decision.Target;
        plan.LowSince = decision.LowSince;
        plan.HighSince = decision.HighSince;
        plan.LastDecision = why.Length <= PowerPlan.MaxDecisionLength ? why : why[..PowerPlan.MaxDecisionLength];
        db.PowerSamples.Add(new PowerSample
        {
            GroupId = plan.GroupId, At = now, Devices = group.Devices, PlannedOn = decision.Target,
            ActualOn = group.On,
        });
        await db.SaveChangesAsync(cancellationToken);
        return decision with { Why = plan.LastDecision };
    }

    /// <summary>Powers off the least loaded online devices.</summary>
    private async Task<string> PowerOffAsync(List<Member> online, int count, CancellationToken cancellationToken)
    {
        var chosen = online.OrderBy(d => d.Cpu ?? 0).ThenBy(d => d.Hostname, StringComparer.Ordinal).Take(count)
            .ToList();
        var order = new CommandOrder(CommandKinds.PowerOff, Reason: "Power plan: load or schedule");
        var queued = await commands.QueueAsync(
            [.. chosen.Select(d => d.Id)], order, Actor.System, cancellationToken: cancellationToken);
        if (!queued.Succeeded)
        {
            logger.LogWarning("Power plan could not power off {Devices}: {Reason}",
                string.Join(", ", chosen.Select(d => d.Hostname)), queued.Message);
            return $"; powering off failed: {queued.Message}";
        }

        logger.LogInformation("Power plan powers off {Devices}", string.Join(", ", chosen.Select(d => d.Hostname)));
        return $"; powering off {string.Join(", ", chosen.Select(d => d.Hostname))}";
    }

    /// <summary>Wakes offline devices, the most recently seen first, skipping those no relay can reach.</summary>
    private async Task<string> WakeAsync(IEnumerable<Member> offline, int count, CancellationToken cancellationToken)
    {
        var woken = new List<string>();
        var failures = new List<string>();
        foreach (var device in offline.OrderByDescending(d => d.LastSeenAt).ThenBy(d => d.Hostname,
                     StringComparer.Ordinal))
        {
            if (woken.Count == count)
            {
                break;
            }

            var result = await wake.WakeAsync(device.Id, Actor.System, "power plan", cancellationToken);
            if (result.Succeeded)
            {
                woken.Add(device.Hostname);
            }
            else
            {
                failures.Add($"{device.Hostname}: {result.Message}");
            }
        }

        if (failures.Count > 0)
        {
            logger.LogWarning("Power plan could not wake {Failures}", string.Join("; ", failures));
        }

        return (woken.Count > 0 ? $"; waking {string.Join(", ", woken)}" : "; no device could be woken")
            + (failures.Count > 0 ? $" ({failures.Count} not reachable: {failures[0]})" : string.Empty);
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    private sealed record Member(Guid Id, string Hostname, bool IsOnline, DateTimeOffset? LastSeenAt, double? Cpu);
}
