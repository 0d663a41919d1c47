using System.Globalization;
using System.Text;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// The config library: configs and their immutable versions, assignments, device variables and SSH keys.
/// Reads need no policy (secret values are filtered by the caller's role); every change takes an
/// <see cref="Actor"/>, is checked against <see cref="Policies.ManageDevices"/> and audited in the same
/// transaction. A save compiles and validates first: any error and nothing is written.
/// </summary>
public sealed partial class ConfigService(
    IDbContextFactory<FleetDbContext> dbFactory,
    IConfigToolchain toolchain,
    ConfigSecrets secrets,
    IgnitionUrlSigner signer,
    IgnitionCache cache,
    ConfigNotifier notifier,
    ActorAuthorizer authorizer,
    Microsoft.AspNetCore.Authorization.IAuthorizationService authorization,
    AuditLog audit,
    TimeProvider time,
    ILogger<ConfigService> logger)
{
    public const int MaxSourceBytes = 1024 * 1024;

    private const string ForbiddenMessage = "Your role may not change configs.";

    public async Task<IReadOnlyList<ConfigRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var configs = await db.Configs.AsNoTracking().OrderBy(c => c.Name).ToListAsync(cancellationToken);
        var latest = await db.ConfigVersions.AsNoTracking()
            .Where(v => db.Configs.Any(c => c.Id == v.ConfigId && c.LatestVersion == v.Number))
            .Select(v => new { v.ConfigId, v.CreatedAt, v.Author }).ToListAsync(cancellationToken);
        var counts = await db.ConfigAssignments.AsNoTracking().GroupBy(a => a.ConfigId).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return [.. configs.Select(c =>
        {
            var v = latest.FirstOrDefault(l => l.ConfigId == c.Id);
            return new ConfigRow(c.Id, c.Name, c.Language, c.Description, c.LatestVersion, v?.CreatedAt ?? c.CreatedAt, v?.Author ?? c.CreatedBy,
                counts.FirstOrDefault(x => x.Key == c.Id)?.Count ?? 0);
        })];
    }

    public async Task<ConfigDetails?> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        var row = (await ListAsync(cancellationToken)).FirstOrDefault(c => c.Id == id);
        if (row is null)
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var versions = await db.ConfigVersions.AsNoTracking().Where(v => v.ConfigId == id).OrderByDescending(v => v.Number)
            .Select(v => new VersionRow(v.Number, v.Author, v.Message, v.CreatedAt, v.Source.Length)).ToListAsync(cancellationToken);
        var latest = await GetVersionAsync(id, row.LatestVersion, cancellationToken);
        var assignments = (await ListAssignmentsAsync(cancellationToken)).Where(a => a.ConfigId == id).ToList();
        return new ConfigDetails(row, versions, latest!, assignments);
    }

    public async Task<VersionDetails?> GetVersionAsync(int configId, int number, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var v = await db.ConfigVersions.AsNoTracking().SingleOrDefaultAsync(v => v.ConfigId == configId && v.Number == number, cancellationToken);
        return v is null ? null : new VersionDetails(v.ConfigId, v.Number, v.Source, v.CompiledJson, v.Author, v.Message, v.CreatedAt);
    }

    /// <summary>The latest config report of a device (null: none yet).</summary>
    public async Task<DeviceConfigReport?> GetReportAsync(Guid deviceId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.DeviceConfigReports.AsNoTracking().SingleOrDefaultAsync(r => r.DeviceId == deviceId, cancellationToken);
    }

    /// <summary>Compiles and checks a source without saving it (the editor's live validation).</summary>
    public CompileOutcome Validate(ConfigSourceLanguage language, string? source)
    {
        source ??= string.Empty;
        var size = Encoding.UTF8.GetByteCount(source);
        if (size > MaxSourceBytes)
        {
            return CompileOutcome.Failed($"The source is {size:N0} bytes; a config may be at most {MaxSourceBytes:N0} bytes (1 MiB).", "source", 1, 1);
        }

        CompileOutcome compiled;
        try
        {
            compiled = toolchain.Compile(language, source);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug in the translator must not take the editor down; the person sees it and nothing is saved.
            logger.LogError(ex, "Compiling a {Language} config failed unexpectedly", language);
            return CompileOutcome.Failed($"The config could not be compiled: {ex.Message}");
        }

        var extra = Templating.Check(source).Concat(SecretGuard.Check(source, compiled.Ignition)).ToList();
        return extra.Count == 0 ? compiled : new CompileOutcome(compiled.Ignition, [.. compiled.Problems, .. extra]);
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<ConfigSaved>> CreateAsync(
        ConfigInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "config.create", "config", input.Name, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        var name = input.Name?.Trim() ?? string.Empty;
        if (!ConfigRules.Name().IsMatch(name))
        {
            return Outcome.Invalid("name", "Use 1 to 64 letters, digits, '.', '_' or '-'.");
        }

        if (input.Description?.Length > 500)
        {
            return Outcome.Invalid("description", "At most 500 characters.");
        }

        var compiled = Validate(input.Language, input.Source);
        if (!compiled.Succeeded)
        {
            return Outcome.Invalid(ConfigProblem.Errors(compiled.Problems));
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Configs.AnyAsync(c => c.Name == name, cancellationToken))
        {
            return Outcome.Invalid("name", $"There is already a config '{name}'.");
        }

        var now = time.GetUtcNow();
        var config = new ConfigDefinition { Name = name, Language = input.Language, Description = Blank(input.Description), LatestVersion = 1, CreatedAt = now, CreatedBy = actor.Name };
        db.Configs.Add(config);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            await db.SaveChangesAsync(cancellationToken);   // gives the id the first version refers to; committed together below
            db.ConfigVersions.Add(NewVersion(config.Id, 1, input.Source, compiled, actor, input.Message ?? "created", now));
            audit.Add(db, actor, "config.create", "config", config.Id.ToString(CultureInfo.InvariantCulture), null, $"{name} ({input.Language}) v1: {input.Message ?? "created"}");
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        logger.LogInformation("Config {Name} ({Id}) created by {Actor}", name, config.Id, actor.Name);
        notifier.Notify();
        return Outcome.Of(new ConfigSaved(config.Id, 1, [.. compiled.Warnings]));
    }

    /// <summary>Saves a new version; <paramref name="basedOn"/> (the version the editor started from) refuses a save over someone else's newer one.</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<ConfigSaved>> SaveVersionAsync(
        int configId, string source, string? message, Actor actor, int? basedOn = null,
        CancellationToken cancellationToken = default)
    {
        var id = configId.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "config.save", "config", id, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var config = await db.Configs.SingleOrDefaultAsync(c => c.Id == configId, cancellationToken);
        if (config is null)
        {
            return Outcome.NotFound("There is no such config.");
        }

        if (basedOn is { } b && b != config.LatestVersion)
        {
            return Outcome.Conflict(
                $"Version {config.LatestVersion} was saved since you opened version {b}; reload to see it.");
        }

        var compiled = Validate(config.Language, source);
        if (!compiled.Succeeded)
        {
            return Outcome.Invalid(ConfigProblem.Errors(compiled.Problems));
        }

        return await AddVersionAsync(db, config, source, compiled, message ?? string.Empty, "config.save", actor, cancellationToken);
    }

    /// <summary>Rolls back: a new version with the content of an old one (history stays immutable).</summary>
    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<ConfigSaved>> RollbackAsync(
        int configId, int toVersion, Actor actor, CancellationToken cancellationToken = default)
    {
        var id = configId.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "config.rollback", "config", id, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var config = await db.Configs.SingleOrDefaultAsync(c => c.Id == configId, cancellationToken);
        var old = await db.ConfigVersions.AsNoTracking().SingleOrDefaultAsync(v => v.ConfigId == configId && v.Number == toVersion, cancellationToken);
        if (config is null || old is null)
        {
            return Outcome.NotFound("There is no such config version.");
        }

        var compiled = new CompileOutcome(JsonSerializer.Deserialize<System.Text.Json.Nodes.JsonObject>(old.CompiledJson), []);
        return await AddVersionAsync(db, config, old.Source, compiled, $"roll back to version {toVersion}", "config.rollback", actor, cancellationToken);
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome> DeleteAsync(int configId, Actor actor, CancellationToken cancellationToken = default)
    {
        var id = configId.ToString(CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "config.delete", "config", id, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var config = await db.Configs.SingleOrDefaultAsync(c => c.Id == configId, cancellationToken);
        if (config is null)
        {
            return Outcome.NotFound("There is no such config.");
        }

        var assigned = await db.ConfigAssignments.CountAsync(a => a.ConfigId == configId, cancellationToken);
        db.Configs.Remove(config);
        audit.Add(db, actor, "config.delete", "config", id, $"{config.Name} v{config.LatestVersion}", $"deleted with {assigned} assignment(s)");
        await db.SaveChangesAsync(cancellationToken);
        notifier.Notify();
        return Outcome.Done;
    }

    private async Task<Outcome<ConfigSaved>> AddVersionAsync(
        FleetDbContext db, ConfigDefinition config, string source, CompileOutcome compiled, string message,
        string action, Actor actor, CancellationToken cancellationToken)
    {
        if (message.Length > 1000)
        {
            return Outcome.Invalid("message", "At most 1000 characters.");
        }

        var number = config.LatestVersion + 1;
        var now = time.GetUtcNow();
        db.ConfigVersions.Add(NewVersion(config.Id, number, source, compiled, actor, message, now));
        config.LatestVersion = number;
        audit.Add(db, actor, action, "config", config.Id.ToString(CultureInfo.InvariantCulture), $"{config.Name} v{number - 1}", $"{config.Name} v{number}: {message}");
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex)
        {
            // Two saves raced for the same number: the unique index keeps history linear.
            logger.LogWarning(ex, "Saving config {Name} v{Number} lost a race", config.Name, number);
            return Outcome.Conflict("Someone saved this config at the same moment; reload and save again.");
        }

        logger.LogInformation("Config {Name} v{Number} saved by {Actor}", config.Name, number, actor.Name);
        notifier.Notify();
        return Outcome.Of(new ConfigSaved(config.Id, number, [.. compiled.Warnings]));
    }

    private static ConfigVersion NewVersion(int configId, int number, string source, CompileOutcome compiled, Actor actor, string message, DateTimeOffset now) => new()
    {
        ConfigId = configId,
        Number = number,
        Source = source,
        CompiledJson = compiled.Ignition!.ToJsonString(),
        Author = actor.Name,
        Message = message,
        CreatedAt = now,
    };

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
