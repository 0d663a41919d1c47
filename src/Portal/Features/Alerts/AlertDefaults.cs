using System.Globalization;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Alerts;

/// <summary>
/// At start (after the database initializer): a new install gets <see cref="AlertKinds.Defaults"/>, once. The
/// <see cref="AlertSettings"/> row records that it happened, so a rule an admin deletes stays deleted; an install
/// that already has rules of its own keeps them and gets none added.
/// </summary>
internal sealed class AlertDefaults(
    IDbContextFactory<FleetDbContext> dbFactory, AuditLog audit, TimeProvider time, ILogger<AlertDefaults> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var settings = await db.AlertSettings.SingleOrDefaultAsync(cancellationToken);
        if (settings?.DefaultRulesCreatedAt is not null)
        {
            return;
        }

        var now = time.GetUtcNow();
        if (settings is null)
        {
            settings = new AlertSettings { Id = 1 };
            db.AlertSettings.Add(settings);
        }

        settings.DefaultRulesCreatedAt = now;
        if (await db.AlertRules.AnyAsync(cancellationToken))
        {
            await db.SaveChangesAsync(cancellationToken);
            return;
        }

        var rules = AlertKinds.Defaults.Select(d => new AlertRule
        {
            Name = d.Name,
            Kind = d.Kind,
            Threshold = d.Threshold,
            Severity = d.Severity,
            CreatedAt = now,
            ChangedAt = now,
        }).ToList();
        db.AlertRules.AddRange(rules);
        await db.SaveChangesAsync(cancellationToken);
        foreach (var rule in rules)
        {
            audit.Add(db, Actor.System, "alert-rule.create", "alert-rule",
                rule.Id.ToString(CultureInfo.InvariantCulture), null, AlertService.Summary(rule));
        }

        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Created the {Count} default alert rules", rules.Count);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
