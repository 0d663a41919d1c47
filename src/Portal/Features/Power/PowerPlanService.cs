using System.Globalization;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Power;

/// <summary>A power plan as an Admin writes it.</summary>
/// <param name="Mode">Load or Schedule.</param>
/// <param name="MinOn">Devices always kept on.</param>
/// <param name="LowCpuPercent">Load mode: power one device off below this average CPU %; null: never.</param>
/// <param name="HighCpuPercent">Load mode: wake one device above this; null: never.</param>
/// <param name="HoldMinutes">How long the load must stay past a threshold first.</param>
/// <param name="Schedule">Schedule mode: one <c>cron = count</c> a line.</param>
/// <param name="TimeZone">The schedule's time zone (IANA id).</param>
/// <param name="Enabled">Off: the plan is kept but does nothing.</param>
public sealed record PowerPlanInput(
    PowerPlanMode Mode,
    int MinOn,
    double? LowCpuPercent = null,
    double? HighCpuPercent = null,
    int HoldMinutes = 15,
    string? Schedule = null,
    string TimeZone = "UTC",
    bool Enabled = true);

/// <summary>A group's plan as its power page and <c>/api/v1/groups/{id}/power</c> show it.</summary>
public sealed record PowerPlanView(
    int GroupId,
    string Group,
    PowerPlanInput Plan,
    DateTimeOffset ChangedAt,
    string ChangedBy,
    int? Target,
    DateTimeOffset? LastActionAt,
    string? LastDecision);

/// <summary>One evaluation of a plan, for the chart: devices in the group, planned on, actually on.</summary>
public sealed record PowerPoint(DateTimeOffset At, int Devices, int PlannedOn, int ActualOn);

/// <summary>
/// Groups' power plans. Reads need no policy; changes need <see cref="Policies.ManagePower"/> (Admin) and are
/// audited in the same transaction. <see cref="PowerEvaluator"/> carries them out.
/// </summary>
public sealed class PowerPlanService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    TimeProvider time,
    ILogger<PowerPlanService> logger)
{
    public const string EntityType = "power-plan";

    public async Task<PowerPlanView?> GetAsync(int groupId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var plan = await db.PowerPlans.AsNoTracking()
            .SingleOrDefaultAsync(p => p.GroupId == groupId, cancellationToken);
        var name = await db.DeviceGroups.AsNoTracking().Where(g => g.Id == groupId).Select(g => g.Name)
            .SingleOrDefaultAsync(cancellationToken);
        return plan is null || name is null ? null : new PowerPlanView(plan.GroupId, name, InputOf(plan),
            plan.ChangedAt, plan.ChangedBy, plan.Target, plan.LastActionAt, plan.LastDecision);
    }

    /// <summary>The group's evaluations from <paramref name="from"/> on, oldest first.</summary>
    public async Task<IReadOnlyList<PowerPoint>> HistoryAsync(
        int groupId, DateTimeOffset from, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.PowerSamples.AsNoTracking().Where(s => s.GroupId == groupId && s.At >= from)
            .OrderBy(s => s.At).Select(s => new PowerPoint(s.At, s.Devices, s.PlannedOn, s.ActualOn))
            .ToListAsync(cancellationToken);
    }

    [RequiresPolicy(Policies.ManagePower)]
    public async Task<Outcome> SetAsync(
        int groupId, PowerPlanInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = groupId.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManagePower, "power-plan.set", EntityType, key,
                cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change power plans.");
        }

        var errors = Validate(input);
        if (errors.Count > 0)
        {
            return Outcome.Invalid(errors);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (!await db.DeviceGroups.AnyAsync(g => g.Id == groupId, cancellationToken))
        {
            return Outcome.NotFound($"There is no group {groupId}.");
        }

        var plan = await db.PowerPlans.SingleOrDefaultAsync(p => p.GroupId == groupId, cancellationToken);
        var before = plan is null ? null : Summary(InputOf(plan));
        var after = Summary(input);
        if (before == after)
        {
            return Outcome.Done;
        }

        if (plan is null)
        {
            plan = new PowerPlan { GroupId = groupId, ChangedBy = actor.Name };
            db.PowerPlans.Add(plan);
        }

        plan.Mode = input.Mode;
        plan.MinOn = input.MinOn;
        plan.LowCpuPercent = input.Mode == PowerPlanMode.Load ? input.LowCpuPercent : null;
        plan.HighCpuPercent = input.Mode == PowerPlanMode.Load ? input.HighCpuPercent : null;
        plan.HoldMinutes = input.HoldMinutes;
        plan.Schedule = input.Mode == PowerPlanMode.Schedule ? input.Schedule?.Trim() : null;
        plan.TimeZone = input.TimeZone.Trim();
        plan.Enabled = input.Enabled;
        plan.ChangedAt = time.GetUtcNow();
        plan.ChangedBy = actor.Name;

        // A changed plan starts its timers afresh: a hold time is measured against the thresholds that apply now.
        plan.LowSince = null;
        plan.HighSince = null;
        audit.Add(db, actor, "power-plan.set", EntityType, key, before, after);
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Power plan of group {GroupId} set by {Actor}: {Plan}", groupId, actor.Name, after);
        return Outcome.Done;
    }

    [RequiresPolicy(Policies.ManagePower)]
    public async Task<Outcome> RemoveAsync(int groupId, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = groupId.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManagePower, "power-plan.remove", EntityType, key,
                cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change power plans.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var plan = await db.PowerPlans.SingleOrDefaultAsync(p => p.GroupId == groupId, cancellationToken);
        if (plan is null)
        {
            return Outcome.NotFound($"Group {groupId} has no power plan.");
        }

        db.PowerPlans.Remove(plan);
        audit.Add(db, actor, "power-plan.remove", EntityType, key, Summary(InputOf(plan)), null);
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Done;
    }

    /// <summary>What is wrong with a plan, by field.</summary>
    public static List<OutcomeError> Validate(PowerPlanInput? input)
    {
        var errors = new List<OutcomeError>();
        if (input is null)
        {
            errors.Add(new OutcomeError("Send a plan."));
            return errors;
        }

        if (input.MinOn is < 0 or > 100_000)
        {
            errors.Add(OutcomeError.At("minOn", "Between 0 and 100,000 devices."));
        }

        if (input.HoldMinutes is < 1 or > 1_440)
        {
            errors.Add(OutcomeError.At("holdMinutes", "Between 1 and 1,440 minutes."));
        }

        if (!Enum.IsDefined(input.Mode))
        {
            errors.Add(OutcomeError.At("mode", "Load or Schedule."));
        }
        else if (input.Mode == PowerPlanMode.Load)
        {
            ValidateLoad(input, errors);
        }
        else
        {
            if ((input.Schedule?.Length ?? 0) > PowerPlan.MaxScheduleLength)
            {
                errors.Add(OutcomeError.At("schedule", $"At most {PowerPlan.MaxScheduleLength} characters."));
            }
            else if (PowerPlanner.ParseSchedule(input.Schedule, errors).Count == 0
                     && !errors.Any(e => e.Field == "schedule"))
            {
                errors.Add(OutcomeError.At("schedule", "Write at least one line: cron expression = devices on."));
            }
        }

        if (string.IsNullOrWhiteSpace(input.TimeZone) || input.TimeZone.Length > PowerPlan.MaxTimeZoneLength
            || !TimeZoneInfo.TryFindSystemTimeZoneById(input.TimeZone.Trim(), out _))
        {
            errors.Add(OutcomeError.At("timeZone", "Name a time zone such as UTC or Europe/Paris."));
        }

        return errors;
    }

    private static void ValidateLoad(PowerPlanInput input, List<OutcomeError> errors)
    {
        if (input.LowCpuPercent is null && input.HighCpuPercent is null)
        {
            errors.Add(OutcomeError.At("lowCpuPercent", "Give a low threshold, a high one, or both."));
        }

        if (input.LowCpuPercent is < 0 or > 100 || input.LowCpuPercent is double.NaN)
        {
            errors.Add(OutcomeError.At("lowCpuPercent", "Between 0 and 100 %."));
        }

        if (input.HighCpuPercent is < 0 or > 100 || input.HighCpuPercent is double.NaN)
        {
            errors.Add(OutcomeError.At("highCpuPercent", "Between 0 and 100 %."));
        }
        else if (input.LowCpuPercent >= input.HighCpuPercent)
        {
            errors.Add(OutcomeError.At("highCpuPercent", "Above the low threshold."));
        }
    }

    internal static PowerPlanInput InputOf(PowerPlan plan) => new(plan.Mode, plan.MinOn, plan.LowCpuPercent,
        plan.HighCpuPercent, plan.HoldMinutes, plan.Schedule, plan.TimeZone, plan.Enabled);

    private static string Summary(PowerPlanInput p) => (p.Mode == PowerPlanMode.Load
        ? string.Create(CultureInfo.InvariantCulture,
            $"load: off below {p.LowCpuPercent?.ToString(CultureInfo.InvariantCulture) ?? "-"} %, "
            + $"on above {p.HighCpuPercent?.ToString(CultureInfo.InvariantCulture) ?? "-"} % for {p.HoldMinutes} min")
        : $"schedule ({p.TimeZone}): {p.Schedule?.Trim().ReplaceLineEndings("; ")}")
        + string.Create(CultureInfo.InvariantCulture, $", at least {p.MinOn} on")
        + (p.Enabled ? string.Empty : ", disabled");
}
