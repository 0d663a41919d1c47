using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Alerts;

/// <summary>
/// A rule as entered in the UI or the API. <paramref name="ChannelIds"/>: the channels it notifies (null on an
/// update keeps them). The silence window is daily, in UTC, both ends or neither.
/// </summary>
public sealed record AlertRuleInput(
    string Name,
    AlertKind Kind,
    double Threshold,
    AlertSeverity Severity,
    int? GroupId,
    bool Enabled = true,
    IReadOnlyList<int>? ChannelIds = null,
    TimeOnly? SilenceFrom = null,
    TimeOnly? SilenceTo = null)
{
    /// <summary>The rule as it is, for an edit form.</summary>
    public static AlertRuleInput From(AlertRule r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Name, r.Kind, r.Threshold, r.Severity, r.GroupId, r.Enabled, r.ChannelIds, r.SilenceFrom,
            r.SilenceTo);
    }
}

/// <summary>An alert as listed: the instance with its device's hostname and its rule's name.</summary>
public sealed record AlertView(long Id, int RuleId, string Rule, Guid DeviceId, string Hostname, AlertSeverity Severity, string Message, double? Value,
    DateTimeOffset FiredAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, DateTimeOffset? ResolvedAt, string? ResolvedBy);

/// <summary>Alert rules and the operator's side of alerts (acknowledge, resolve); the UI and the API both call it.</summary>
public sealed class AlertService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    AlertNotifier notifier,
    AlertEngine engine,
    AlertDispatcher dispatcher,
    TimeProvider time)
{
    /// <summary>The longest snooze: a week.</summary>
    public static readonly TimeSpan MaxSnooze = TimeSpan.FromDays(7);

    /// <summary>
    /// Opens an alert of <paramref name="kind"/> (one another feature decides, such as
    /// <see cref="AlertKind.ConfigCannotRender"/>) on the device, for every enabled rule of that kind covering it.
    /// While one is open nothing changes; after one resolves the hold-down applies. The rule's channels are told.
    /// </summary>
    public async Task RaiseAsync(
        Guid deviceId, AlertKind kind, string detail, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(detail);
        CheckRaisedByCaller(kind);
        await engine.SetRaisedAsync(deviceId, kind, detail.Length <= 400 ? detail : detail[..399] + "…",
            cancellationToken);
    }

    /// <summary>Closes the device's open alerts of <paramref name="kind"/> (the condition is gone).</summary>
    public async Task ResolveAsync(Guid deviceId, AlertKind kind, CancellationToken cancellationToken = default)
    {
        CheckRaisedByCaller(kind);
        await engine.SetRaisedAsync(deviceId, kind, null, cancellationToken);
    }

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

    /// <summary>
    /// Closes an alert by hand ("fixed"); the channels told of it are told it resolved. If its condition still
    /// holds it fires again once the hold-down (<see cref="AlertOptions.HoldDownMinutes"/>) has passed.
    /// </summary>
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

        var now = time.GetUtcNow();
        var rule = new AlertRule { Name = input.Name.Trim(), CreatedAt = now, ChangedAt = now };
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
        rule.ChangedAt = time.GetUtcNow();
        await CloseOpenAsync(db, ruleId, rule.ChangedAt, actor, cancellationToken); // changed: judge afresh
        audit.Add(db, actor, "alert-rule.update", "alert-rule", key, before, Summary(rule));
        await db.SaveChangesAsync(cancellationToken);
        await notifier.RefreshAsync(db, cancellationToken);
        return Outcome.Done;
    }

    /// <summary>
    /// Snoozes a rule for <paramref name="duration"/> (at most <see cref="MaxSnooze"/>; zero ends a snooze): its
    /// alerts are still recorded and shown but notify nobody until then.
    /// </summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> SnoozeRuleAsync(
        int ruleId, TimeSpan duration, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = ruleId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "alert-rule.snooze", "alert-rule", key,
                cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change alerts.");
        }

        if (duration < TimeSpan.Zero || duration > MaxSnooze)
        {
            return Outcome.Invalid("duration", $"A snooze lasts from 0 to {MaxSnooze.TotalDays:0} days.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.AlertRules.SingleOrDefaultAsync(r => r.Id == ruleId, cancellationToken) is not { } rule)
        {
            return Outcome.NotFound("No such alert or rule.");
        }

        var before = rule.SnoozedUntil is { } was ? $"snoozed until {was:u}" : "not snoozed";
        rule.SnoozedUntil = duration == TimeSpan.Zero ? null : time.GetUtcNow() + duration;
        audit.Add(db, actor, "alert-rule.snooze", "alert-rule", key, before,
            rule.SnoozedUntil is { } until ? $"snoozed until {until:u}" : "not snoozed", detail: rule.Name);
        await db.SaveChangesAsync(cancellationToken);
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
        var wasOpen = alert.IsOpen;
        var now = time.GetUtcNow();
        change(alert, now);
        audit.Add(db, actor, action, "alert", key, before, State(alert), detail: alert.Message);
        await db.SaveChangesAsync(cancellationToken);
        if (wasOpen && !alert.IsOpen)
        {
            var rule = await db.AlertRules.AsNoTracking().SingleAsync(r => r.Id == alert.RuleId, cancellationToken);
            await dispatcher.EnqueueAsync(db, [new AlertChange(rule, alert, AlertEvent.Resolved)], now,
                cancellationToken);
        }

        await notifier.RefreshAsync(db, cancellationToken);
        return Outcome.Done;
    }

    private static async Task CloseOpenAsync(
        FleetDbContext db, int ruleId, DateTimeOffset now, Actor actor, CancellationToken cancellationToken)
    {
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

        var info = Enum.IsDefined(input.Kind) ? AlertKinds.Of(input.Kind) : null;
        if (info is { HasThreshold: true }
            && (!double.IsFinite(input.Threshold) || input.Threshold < info.Min || input.Threshold > info.Max))
        {
            errors["threshold"] = [$"Threshold must be between {info.Min} and {info.Max} {info.Unit}."];
        }

        if ((input.SilenceFrom is null) != (input.SilenceTo is null)
            || (input.SilenceFrom is { } f && f == input.SilenceTo))
        {
            errors["silenceTo"] = ["A silence window needs a start and a different end (UTC), or neither."];
        }

        if (input.ChannelIds is { Count: > 0 } channels)
        {
            var known = await db.NotificationChannels.Where(c => channels.Contains(c.Id)).CountAsync(cancellationToken);
            if (known != channels.Distinct().Count())
            {
                errors["channelIds"] = ["A channel named does not exist."];
            }
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
        rule.Threshold = AlertKinds.Of(input.Kind).HasThreshold ? input.Threshold : 0;
        rule.Severity = input.Severity;
        rule.GroupId = input.GroupId;
        rule.Enabled = input.Enabled;
        rule.SilenceFrom = input.SilenceFrom;
        rule.SilenceTo = input.SilenceTo;
        if (input.ChannelIds is { } channels)
        {
            rule.ChannelIds = channels.Distinct().Order().ToList();
        }
    }

    private static void CheckRaisedByCaller(AlertKind kind)
    {
        if (!AlertKinds.IsRaisedByCaller(kind))
        {
            throw new ArgumentException(
                $"{kind} is evaluated by the alert engine, not raised by callers.", nameof(kind));
        }
    }

    internal static string Summary(AlertRule r) =>
        $"{r.Name}: {AlertKinds.Label(r.Kind)} {AlertKinds.Threshold(r.Kind, r.Threshold)} {r.Severity} "
        + $"group={r.GroupId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "fleet"} "
        + $"enabled={r.Enabled} channels=[{string.Join(",", r.ChannelIds)}]"
        + (r.SilenceFrom is { } from ? $" silent {from:HH\\:mm}-{r.SilenceTo:HH\\:mm} UTC" : string.Empty);

    private static string State(AlertInstance a) =>
        a.IsOpen ? (a.AcknowledgedAt is null ? "open" : $"acknowledged by {a.AcknowledgedBy}") : $"resolved by {a.ResolvedBy ?? "itself"}";
}
