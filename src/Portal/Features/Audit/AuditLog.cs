using Fleet.Portal.Data;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Audit;

/// <summary>
/// Writes audit entries. Changes add their entry to the same DbContext (and so the same transaction)
/// as the change itself with <see cref="Add"/>; refused attempts, which change nothing, are written on
/// their own with <see cref="RecordAsync"/>.
/// </summary>
public sealed class AuditLog(IDbContextFactory<FleetDbContext> dbFactory, TimeProvider time, ILogger<AuditLog> logger)
{
    public const int MaxSummaryLength = 2000;

    public AuditEntry Add(FleetDbContext db, Actor actor, string action, string entityType, string? entityId,
        string? before = null, string? after = null, AuditOutcome outcome = AuditOutcome.Succeeded, string? detail = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(actor);
        var entry = new AuditEntry
        {
            At = time.GetUtcNow(),
            Actor = Truncate(actor.Name, 256)!,
            ActorRole = actor.Role,
            Source = actor.Source,
            Action = action,
            EntityType = entityType,
            EntityId = entityId,
            Before = Truncate(before, MaxSummaryLength),
            After = Truncate(after, MaxSummaryLength),
            Outcome = outcome,
            Detail = Truncate(detail, MaxSummaryLength),
            RemoteAddress = actor.RemoteAddress,
        };
        db.AuditEntries.Add(entry);
        return entry;
    }

    /// <summary>Records an entry on its own (a denied or failed attempt).</summary>
    public async Task RecordAsync(Actor actor, string action, string entityType, string? entityId, AuditOutcome outcome, string? detail, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        Add(db, actor, action, entityType, entityId, outcome: outcome, detail: detail);
        await db.SaveChangesAsync(cancellationToken);
        if (outcome == AuditOutcome.Denied)
        {
            logger.LogWarning("Denied {Action} on {EntityType} {EntityId} for {Actor} ({Role}, {Source}): {Detail}",
                action, entityType, entityId, actor.Name, actor.Role ?? "no role", actor.Source, detail);
        }
    }

    private static string? Truncate(string? value, int max) =>
        value is null || value.Length <= max ? value : string.Concat(value.AsSpan(0, max - 1), "…");
}
