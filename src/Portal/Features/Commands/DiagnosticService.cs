using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Commands;

/// <summary>A diagnostic as the diagnostics page and <c>/api/v1/diagnostics</c> show it, with its script and hash.
/// </summary>
public sealed record DiagnosticView(
    int Id, string Name, string? Description, string Script, string Sha256, int TimeoutSeconds, string ChangedBy,
    DateTimeOffset ChangedAt);

/// <summary>What an Admin saves as a diagnostic.</summary>
/// <param name="Name">1–64 characters of <c>A–Z a–z 0–9 . _ -</c>, unique.</param>
/// <param name="Script">The <c>/bin/sh</c> script, at most <see cref="Protocol.MaxDiagnosticScriptLength"/>
/// characters.</param>
/// <param name="Description">What it finds out.</param>
/// <param name="TimeoutSeconds">How long it may run on a device.</param>
public sealed record DiagnosticInput(string Name, string Script, string? Description = null, int TimeoutSeconds = 60);

/// <summary>
/// The diagnostics devices may be asked to run. Everyone who sees the fleet may read them (a script is not a secret,
/// and a command's result is read beside it); saving and deleting need <see cref="Policies.RunPrivilegedCommands"/>
/// and are audited with the script's hash.
/// </summary>
public sealed class DiagnosticService(
    IDbContextFactory<FleetDbContext> dbFactory, ActorAuthorizer authorizer, AuditLog audit, TimeProvider time)
{
    public const string EntityType = "diagnostic";

    public async Task<IReadOnlyList<DiagnosticView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.DiagnosticScripts.AsNoTracking().OrderBy(d => d.Name).ToListAsync(cancellationToken);
        return [.. rows.Select(View)];
    }

    /// <summary>Adds a diagnostic (<paramref name="id"/> null) or changes one; returns its id.</summary>
    [RequiresPolicy(Policies.RunPrivilegedCommands)]
    public async Task<Outcome<int>> SaveAsync(
        int? id, DiagnosticInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var action = id is null ? "diagnostic.create" : "diagnostic.update";
        if (!await authorizer.AllowedAsync(actor, Policies.RunPrivilegedCommands, action, EntityType,
                id?.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken))
        {
            return Outcome.Forbidden("Only Admins define diagnostics.").As<int>();
        }

        var errors = new List<OutcomeError>();
        var name = input.Name?.Trim() ?? string.Empty;
        if (!CommandRules.IsId(name))
        {
            errors.Add(OutcomeError.At("name", "1 to 64 characters of A-Z a-z 0-9 . _ -"));
        }

        if (input.Script is not { Length: > 0 and <= Protocol.MaxDiagnosticScriptLength }
            || string.IsNullOrWhiteSpace(input.Script))
        {
            errors.Add(OutcomeError.At("script", $"A script of 1 to {Protocol.MaxDiagnosticScriptLength} characters."));
        }

        if (input.TimeoutSeconds is < 1 or > Protocol.MaxCommandTimeoutSeconds)
        {
            errors.Add(OutcomeError.At("timeoutSeconds", $"From 1 to {Protocol.MaxCommandTimeoutSeconds} seconds."));
        }

        if (input.Description is { Length: > 1024 })
        {
            errors.Add(OutcomeError.At("description", "At most 1024 characters."));
        }

        if (errors.Count > 0)
        {
            return Outcome.Invalid(errors).As<int>();
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.DiagnosticScripts.AnyAsync(d => d.Name == name && d.Id != id, cancellationToken))
        {
            return Outcome.Conflict("name", $"A diagnostic named {name} exists.").As<int>();
        }

        var diagnostic = id is { } existing
            ? await db.DiagnosticScripts.SingleOrDefaultAsync(d => d.Id == existing, cancellationToken)
            : null;
        if (id is not null && diagnostic is null)
        {
            return Outcome.NotFound($"There is no diagnostic {id}.").As<int>();
        }

        var before = diagnostic is null ? null : Summary(diagnostic);
        if (diagnostic is null)
        {
            db.DiagnosticScripts.Add(diagnostic = new DiagnosticScript
            {
                Name = name, Script = input.Script!, Sha256 = string.Empty, ChangedBy = actor.Name,
            });
        }

        diagnostic.Name = name;
        diagnostic.Script = input.Script!;
        diagnostic.Sha256 = CommandRules.Sha256Of(input.Script!);
        diagnostic.Description = string.IsNullOrWhiteSpace(input.Description) ? null : input.Description.Trim();
        diagnostic.TimeoutSeconds = input.TimeoutSeconds;
        diagnostic.ChangedBy = actor.Name;
        diagnostic.ChangedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        audit.Add(db, actor, action, EntityType,
            diagnostic.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), before, Summary(diagnostic));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of(diagnostic.Id);
    }

    [RequiresPolicy(Policies.RunPrivilegedCommands)]
    public async Task<Outcome> DeleteAsync(int id, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(
                actor, Policies.RunPrivilegedCommands, "diagnostic.delete", EntityType, key, cancellationToken))
        {
            return Outcome.Forbidden("Only Admins define diagnostics.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.DiagnosticScripts.SingleOrDefaultAsync(d => d.Id == id, cancellationToken) is not { } diagnostic)
        {
            return Outcome.NotFound($"There is no diagnostic {id}.");
        }

        db.DiagnosticScripts.Remove(diagnostic);
        audit.Add(db, actor, "diagnostic.delete", EntityType, key, Summary(diagnostic));
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Done;
    }

    private static string Summary(DiagnosticScript d) =>
        $"{d.Name} (sha256 {d.Sha256}, {d.TimeoutSeconds} s)";

    private static DiagnosticView View(DiagnosticScript d) =>
        new(d.Id, d.Name, d.Description, d.Script, d.Sha256, d.TimeoutSeconds, d.ChangedBy, d.ChangedAt);
}
