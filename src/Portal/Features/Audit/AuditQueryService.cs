using System.Runtime.CompilerServices;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Audit;

/// <summary>Reads the audit log (Admin and Operator): pages for the UI, a chunked stream for the CSV export.</summary>
public sealed class AuditQueryService(IDbContextFactory<FleetDbContext> dbFactory, ActorAuthorizer authorizer, AuditLog audit)
{
    public const int MaxPageSize = 500;

    /// <summary>Rows per query while exporting: each chunk is a short read, not one transaction held for the whole download.</summary>
    internal const int ExportChunkSize = 500;

    [RequiresPolicy(Policies.ReadAudit)]
    public async Task<AuditPage> PageAsync(AuditQuery query, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (!await authorizer.AllowedAsync(actor, Policies.ReadAudit, "audit.read", "audit", null, cancellationToken))
        {
            return new AuditPage([], 0, Forbidden: true);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var filtered = Apply(db.AuditEntries.AsNoTracking(), query.Filter);
        var total = await filtered.CountAsync(cancellationToken);
        var page = query.BeforeId is { } beforeId
            ? filtered.Where(a => a.Id < beforeId)
            : filtered;
        var rows = await page.OrderByDescending(a => a.Id)
            .Skip(query.BeforeId is null ? Math.Max(0, query.Skip) : 0)
            .Take(Math.Clamp(query.Take, 1, MaxPageSize))
            .ToListAsync(cancellationToken);
        return new AuditPage(rows, total);
    }

    /// <summary>
    /// Every entry matching <paramref name="filter"/>, newest first, or null when the actor may not read the
    /// audit log. The export itself is audited (who took a copy of what).
    /// </summary>
    [RequiresPolicy(Policies.ReadAudit)]
    public async Task<IAsyncEnumerable<AuditEntry>?> ExportAsync(AuditFilter filter, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (!await authorizer.AllowedAsync(actor, Policies.ReadAudit, "audit.export", "audit", null, cancellationToken))
        {
            return null;
        }

        await audit.RecordAsync(actor, "audit.export", "audit", null, AuditOutcome.Succeeded, filter.Describe(), cancellationToken);
        return StreamAsync(filter, cancellationToken);
    }

    /// <summary>
    /// Keyset pages on Id (the primary key, descending): each chunk continues below the last Id seen, so a
    /// chunk costs the same at row 1,000,000 as at row 0 and entries written meanwhile neither shift nor repeat rows.
    /// </summary>
    private async IAsyncEnumerable<AuditEntry> StreamAsync(AuditFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        long? cursor = null;
        while (true)
        {
            List<AuditEntry> chunk;
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                var entries = Apply(db.AuditEntries.AsNoTracking(), filter);
                if (cursor is { } below)
                {
                    entries = entries.Where(a => a.Id < below);
                }

                chunk = await entries.OrderByDescending(a => a.Id).Take(ExportChunkSize).ToListAsync(cancellationToken);
            }

            foreach (var entry in chunk)
            {
                yield return entry;
            }

            if (chunk.Count < ExportChunkSize)
            {
                yield break;
            }

            cursor = chunk[^1].Id;
        }
    }

    /// <summary>The filters, all translated to SQL.</summary>
    internal static IQueryable<AuditEntry> Apply(IQueryable<AuditEntry> entries, AuditFilter filter)
    {
        if (!string.IsNullOrWhiteSpace(filter.Text))
        {
            var pattern = SqlLike.Containing(filter.Text.Trim());
            entries = entries.Where(a =>
                EF.Functions.Like(a.Actor, pattern, SqlLike.Escape)
                || EF.Functions.Like(a.Action, pattern, SqlLike.Escape)
                || EF.Functions.Like(a.EntityId!, pattern, SqlLike.Escape)
                || EF.Functions.Like(a.Detail!, pattern, SqlLike.Escape));
        }

        if (!string.IsNullOrWhiteSpace(filter.Actor))
        {
            var actor = filter.Actor.Trim();
            entries = entries.Where(a => a.Actor == actor);
        }

        if (!string.IsNullOrWhiteSpace(filter.ActionPrefix))
        {
            var prefix = SqlLike.StartingWith(filter.ActionPrefix.Trim());
            entries = entries.Where(a => EF.Functions.Like(a.Action, prefix, SqlLike.Escape));
        }

        if (!string.IsNullOrWhiteSpace(filter.EntityType))
        {
            var entityType = filter.EntityType.Trim();
            entries = entries.Where(a => a.EntityType == entityType);
        }

        if (filter.Source is { } source)
        {
            entries = entries.Where(a => a.Source == source);
        }

        if (filter.Outcome is { } outcome)
        {
            entries = entries.Where(a => a.Outcome == outcome);
        }

        if (filter.From is { } from)
        {
            entries = entries.Where(a => a.At >= from);
        }

        if (filter.To is { } to)
        {
            entries = entries.Where(a => a.At < to);
        }

        return entries;
    }
}
