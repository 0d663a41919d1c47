using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Alerts;

/// <summary>A rule as entered in the UI or the API.</summary>
public sealed record AlertRuleInput(string Name, AlertKind Kind, double Threshold, AlertSeverity Severity, int? GroupId, bool Enabled = true);

/// <summary>An alert as listed: the instance with its device's hostname and its rule's name.</summary>
public sealed record AlertView(long Id, int RuleId, string Rule, Guid DeviceId, string Hostname, AlertSeverity Severity, string Message, double? Value,
    DateTimeOffset FiredAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, DateTimeOffset? ResolvedAt, string? ResolvedBy);

/// <summary>Alert rules and the operator's side of alerts (acknowledge, resolve); the UI and the API both call it.</summary>
public sealed class AlertService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    AlertNotifier notifier,
    TimeProvider time)
{
    public async Task<IReadOnlyList<AlertView>> ListAsync(bool openOnly, Guid? deviceId = null, int limit = 200, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var alerts = db.Alerts.AsNoTracking().Where(a => !openOnly || a.IsOpen);
        if (deviceId is { } id)
        {
            alerts = alerts.Where(a => a.DeviceId == id);
        }

        return await (from a in alerts
                      join r in db.AlertRules on a.RuleId equals r.Id
                      join d in db.Devices on a.DeviceId equals d.Id
                      orderby a.FiredAt descending, a.Id descending
                      select new AlertView(a.Id, a.RuleId, r.Name, a.DeviceId, d.Hostname, a.Severity, a.Message, a.Value, a.FiredAt, a.AcknowledgedAt, a.AcknowledgedBy, a.ResolvedAt, a.ResolvedBy))
            .Take(Math.Clamp(limit, 1, 1000)).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AlertRule>> RulesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.AlertRules.AsNoTracking().OrderBy(r => r.Name).ToListAsync(cancellationToken);
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> AcknowledgeAsync(
        long alertId, Actor actor, CancellationToken cancellationToken = default) =>
        await ChangeAlertAsync(alertId, actor, "alert.acknowledge", (a, now) =>
        {
            a.AcknowledgedAt ??= now;
            a.AcknowledgedBy ??= actor.Name;
        }, cancellationToken);

    /// <summary>Closes an alert by hand. If its condition still holds it fires again at the next evaluation: resolve means "fixed".</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> ResolveAsync(long alertId, Actor actor, CancellationToken cancellationToken = default) =>
        await ChangeAlertAsync(alertId, actor, "alert.resolve", (a, now) =>
        {
            if (a.IsOpen)
            {
                a.IsOpen = false;
                a.ResolvedAt = now;
                a.ResolvedBy = actor.Name;
            }
        }, cancellationToken);

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<int>> CreateRuleAsync(
        AlertRuleInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "alert-rule.create", "alert-rule", null, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change alerts.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await ValidateAsync(db, input, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        var rule = new AlertRule { Name = input.Name.Trim(), CreatedAt = time.GetUtcNow() };
        Apply(rule, input);
        db.AlertRules.Add(rule);
        await db.SaveChangesAsync(cancellationToken);
        audit.Add(db, actor, "alert-rule.create", "alert-rule", rule.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), null, Summary(rule));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of(rule.Id);
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> UpdateRuleAsync(
        int ruleId, AlertRuleInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = ruleId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "alert-rule.update", "alert-rule", key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change alerts.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.AlertRules.SingleOrDefaultAsync(r => r.Id == ruleId, cancellationToken) is not { } rule)
        {
            return Outcome.NotFound("No such alert or rule.");
        }

        if (await ValidateAsync(db, input, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        var before = Summary(rule);
        Apply(rule, input);
        await CloseOpenAsync(db, ruleId, actor, cancellationToken); // the condition changed: judge afresh
        audit.Add(db, actor, "alert-rule.update", "alert-rule", key, before, Summary(rule));
        await db.SaveChangesAsync(cancellationToken);
        await notifier.RefreshAsync(db, cancellationToken);
        return Outcome.Done;
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> DeleteRuleAsync(int ruleId, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = ruleId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "alert-rule.delete", "alert-rule", key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change alerts.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.AlertRules.SingleOrDefaultAsync(r => r.Id == ruleId, cancellationToken) is not { } rule)
        {
            return Outcome.NotFound("No such alert or rule.");
        }

        db.AlertRules.Remove(rule); // its alerts (history included) go with it
        audit.Add(db, actor, "alert-rule.delete", "alert-rule", key, Summary(rule), null);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.RefreshAsync(db, cancellationToken);
        return Outcome.Done;
    }

    private async Task<Outcome> ChangeAlertAsync(
        long alertId, Actor actor, string action, Action<AlertInstance, DateTimeOffset> change,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = alertId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, action, "alert", key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change alerts.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Alerts.SingleOrDefaultAsync(a => a.Id == alertId, cancellationToken) is not { } alert)
        {
            return Outcome.NotFound("No such alert or rule.");
        }

        var before = State(alert);
        change(alert, time.GetUtcNow());
        audit.Add(db, actor, action, "alert", key, before, State(alert), detail: alert.Message);
        await db.SaveChangesAsync(cancellationToken);
        await notifier.RefreshAsync(db, cancellationToken);
        return Outcome.Done;
    }

    private async Task CloseOpenAsync(FleetDbContext db, int ruleId, Actor actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        foreach (var open in await db.Alerts.Where(a => a.RuleId == ruleId && a.IsOpen).ToListAsync(cancellationToken))
        {
            open.IsOpen = false;
            open.ResolvedAt = now;
            open.ResolvedBy = actor.Name;
        }
    }

    private static async Task<Outcome?> ValidateAsync(
        FleetDbContext db, AlertRuleInput? input, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (input is null)
        {
            return Outcome.Invalid("", "A rule is required.");
        }

        if (string.IsNullOrWhiteSpace(input.Name) || input.Name.Trim().Length > AlertRule.MaxNameLength)
        {
            errors["name"] = [$"Name is required, at most {AlertRule.MaxNameLength} characters."];
        }

        if (!Enum.IsDefined(input.Kind))
        {
            errors["kind"] = [$"Kind must be one of {string.Join(", ", Enum.GetNames<AlertKind>())}."];
        }

        if (!Enum.IsDefined(input.Severity))
        {
            errors["severity"] = [$"Severity must be one of {string.Join(", ", Enum.GetNames<AlertSeverity>())}."];
        }

        var (min, max, unit) = input.Kind switch
        {
            AlertKind.DiskAbove or AlertKind.MemoryAbove => (0.0, 100.0, "%"),
            AlertKind.TemperatureAbove => (-50.0, 150.0, "°C"),
            AlertKind.FailedUnits => (0.0, 0.0, ""),
            _ => (0.0, 525_600.0, "minutes"),
        };
        if (input.Kind != AlertKind.FailedUnits && (!double.IsFinite(input.Threshold) || input.Threshold < min || input.Threshold > max))
        {
            errors["threshold"] = [$"Threshold must be between {min} and {max} {unit}."];
        }

        if (input.GroupId is { } g && !await db.DeviceGroups.AnyAsync(x => x.Id == g, cancellationToken))
        {
            errors["groupId"] = [$"There is no group {g}."];
        }

        return errors.Count == 0 ? null : Outcome.Invalid(errors);
    }

    private static void Apply(AlertRule rule, AlertRuleInput input)
    {
        rule.Name = input.Name.Trim();
        rule.Kind = input.Kind;
        rule.Threshold = input.Kind == AlertKind.FailedUnits ? 0 : input.Threshold;
        rule.Severity = input.Severity;
        rule.GroupId = input.GroupId;
        rule.Enabled = input.Enabled;
    }

    private static string Summary(AlertRule r) =>
        $"{r.Name}: {r.Kind} {r.Threshold} {r.Severity} group={r.GroupId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "fleet"} enabled={r.Enabled}";

    private static string State(AlertInstance a) =>
        a.IsOpen ? (a.AcknowledgedAt is null ? "open" : $"acknowledged by {a.AcknowledgedBy}") : $"resolved by {a.ResolvedBy ?? "itself"}";
}
