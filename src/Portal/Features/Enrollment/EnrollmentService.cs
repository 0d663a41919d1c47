using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Enrollment;

/// <summary>
/// What the enrolment pages and API do: the policy, tokens, the reject list, the queue. Pre-registrations
/// are in EnrollmentService.PreRegistrations.cs. Every change is authorized and audited here.
/// </summary>
public sealed partial class EnrollmentService(
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    TimeProvider time,
    IOptions<EnrollmentOptions> options,
    Configs.ConfigSecrets secrets,
    Configs.ConfigNotifier configs,
    Configs.PendingPlaceholders placeholders,
    Configs.IgnitionUrlSigner signer,
    ILogger<EnrollmentService> logger)
{
    public async Task<EnrollmentPolicyInput> GetPolicyAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var s = await db.EnrollmentSettings.AsNoTracking().SingleOrDefaultAsync(cancellationToken) ?? new EnrollmentSettings();
        return new EnrollmentPolicyInput(s.AutoApprovePreRegistered, s.AutoApproveTokens);
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<EnrollmentPolicyInput>> SetPolicyAsync(
        EnrollmentPolicyInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.policy", "enrollment-policy", "1", cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        ArgumentNullException.ThrowIfNull(input);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var s = await db.EnrollmentSettings.SingleOrDefaultAsync(cancellationToken);
        if (s is null)
        {
            s = new EnrollmentSettings();
            db.EnrollmentSettings.Add(s);
        }

        var before = Describe(s);
        s.AutoApprovePreRegistered = input.AutoApprovePreRegistered;
        s.AutoApproveTokens = input.AutoApproveTokens;
        s.ChangedAt = time.GetUtcNow();
        s.ChangedBy = actor.Name;
        audit.Add(db, actor, "enrollment.policy", "enrollment-policy", "1", before, Describe(s));
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Enrolment policy set by {Actor}: {Policy}", actor.Name, Describe(s));
        return Outcome.Of(input);
    }

    public async Task<IReadOnlyList<TokenRow>> ListTokensAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var groups = await GroupNamesAsync(db, cancellationToken);
        var now = time.GetUtcNow();
        var tokens = await db.EnrollmentTokens.AsNoTracking().OrderByDescending(t => t.CreatedAt).ToListAsync(cancellationToken);
        return tokens.Select(t => ToRow(t, groups, now)).ToList();
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<CreatedToken>> CreateTokenAsync(
        CreateTokenInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.token.create", "enrollment-token", input?.Name, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        ArgumentNullException.ThrowIfNull(input);
        var name = input.Name?.Trim() ?? string.Empty;
        if (name.Length is 0 or > EnrollmentToken.MaxNameLength || name.Any(char.IsControl))
        {
            return Outcome.Invalid("name", $"1-{EnrollmentToken.MaxNameLength} characters, no control characters");
        }

        if (input.LifetimeDays is < 1 or > 3650)
        {
            return Outcome.Invalid("lifetimeDays", "1-3650 days");
        }

        if (input.MaxUses is < 1)
        {
            return Outcome.Invalid("maxUses", "at least 1 (leave empty for no limit)");
        }

        if (input.ForIgnition && !await authorizer.AllowedAsync(actor, Policies.ManageAgents, "enrollment.token.create",
                "enrollment-token", input.Name, cancellationToken))
        {
            return Outcome.Forbidden("Only an Admin may create a token that Ignition configs carry.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var group = await ResolveGroupAsync(db, input.Group, cancellationToken);
        if (group.Error is not null)
        {
            return Outcome.Invalid("group", group.Error);
        }

        if (await db.EnrollmentTokens.AnyAsync(t => t.Name == name, cancellationToken))
        {
            return Outcome.Conflict("name", $"a token named '{name}' exists");
        }

        var now = time.GetUtcNow();
        var value = EnrollmentSecrets.NewToken();
        var token = new EnrollmentToken
        {
            Name = name,
            TokenHash = EnrollmentSecrets.Hash(value),
            Prefix = value[..10],
            GroupId = group.Id,
            CreatedAt = now,
            CreatedBy = actor.Name,
            ExpiresAt = now.AddDays(input.LifetimeDays ?? options.Value.TokenLifetimeDays),
            MaxUses = input.MaxUses,
            ProtectedValue = input.ForIgnition ? secrets.Protect(value) : null,
        };
        db.EnrollmentTokens.Add(token);
        audit.Add(db, actor, "enrollment.token.create", "enrollment-token", token.Name,
            after: $"{token.Name} ({token.Prefix}…), group {input.Group ?? DeviceGroup.DefaultName}, "
                + $"expires {token.ExpiresAt:u}, "
                + "max uses "
                + (token.MaxUses?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "unlimited")
                + (token.ForIgnition ? ", written into the Ignition configs of its group (agent.env)" : string.Empty));
        await db.SaveChangesAsync(cancellationToken);
        if (token.ForIgnition)
        {
            configs.Notify();
        }

        var groups = await GroupNamesAsync(db, cancellationToken);
        return Outcome.Of(new CreatedToken(ToRow(token, groups, now), value));
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<TokenRow>> RevokeTokenAsync(
        int id, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.token.revoke", "enrollment-token", key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var token = await db.EnrollmentTokens.SingleOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (token is null)
        {
            return Outcome.NotFound($"There is no enrolment token {id}.");
        }

        var now = time.GetUtcNow();
        if (token.RevokedAt is null)
        {
            token.RevokedAt = now;
            token.RevokedBy = actor.Name;
            var inIgnition = token.ForIgnition;
            token.ProtectedValue = null;   // Ignition configs stop carrying it; the value is no longer kept.
            audit.Add(db, actor, "enrollment.token.revoke", "enrollment-token", key, $"{token.Name}: active", $"{token.Name}: revoked");
            await db.SaveChangesAsync(cancellationToken);
            if (inIgnition)
            {
                configs.Notify();
            }

            logger.LogInformation("Enrolment token {Token} revoked by {Actor}", token.Name, actor.Name);
        }

        return Outcome.Of(ToRow(token, await GroupNamesAsync(db, cancellationToken), now));
    }

    public async Task<IReadOnlyList<RejectRuleRow>> ListRejectRulesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.RejectRules.AsNoTracking().OrderBy(r => r.Kind).ThenBy(r => r.Value)
            .Select(r => new RejectRuleRow(r.Id, r.Kind, r.Value, r.Reason, r.CreatedAt, r.CreatedBy))
            .ToListAsync(cancellationToken);
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<RejectRuleRow>> AddRejectRuleAsync(
        RejectRuleInput input, Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.reject.add", "reject-rule", input?.Value, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        ArgumentNullException.ThrowIfNull(input);
        var value = (input.Value ?? string.Empty).Trim();
        var normalized = input.Kind switch
        {
            RejectKind.Mac => Shared.MacAddress.TryNormalize(value, out var mac) ? mac : null,
            RejectKind.MachineId => System.Text.RegularExpressions.Regex.IsMatch(value.ToLowerInvariant(), "^[0-9a-f]{32}$") ? value.ToLowerInvariant() : null,
            RejectKind.EnrollmentId => System.Text.RegularExpressions.Regex.IsMatch(value, "^enroll-[0-9a-f]{32}$") ? value : null,
            _ => null,
        };
        if (normalized is null)
        {
            return Outcome.Invalid("value", input.Kind switch
            {
                RejectKind.Mac => $"'{Shorten(value)}' is not a MAC address",
                RejectKind.MachineId => "a machine-id is 32 hex digits",
                RejectKind.EnrollmentId => "an enrolment id is 'enroll-' and 32 hex digits",
                _ => "unknown kind",
            });
        }

        if ((input.Reason?.Length ?? 0) > 500)
        {
            return Outcome.Invalid("reason", "at most 500 characters");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.RejectRules.AnyAsync(r => r.Kind == input.Kind && r.Value == normalized, cancellationToken))
        {
            return Outcome.Conflict("value", $"{input.Kind.Label()} {normalized} is already on the reject list");
        }

        var rule = new RejectRule { Kind = input.Kind, Value = normalized, Reason = input.Reason, CreatedAt = time.GetUtcNow(), CreatedBy = actor.Name };
        db.RejectRules.Add(rule);
        // The entity is the value, as the authorization check above names it; the summary reads as the page does.
        audit.Add(db, actor, "enrollment.reject.add", "reject-rule", rule.Value,
            after: $"{rule.Kind.Label()} {rule.Value}: {rule.Reason}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of(new RejectRuleRow(
            rule.Id, rule.Kind, rule.Value, rule.Reason, rule.CreatedAt, rule.CreatedBy));
    }

    [RequiresPolicy(Policies.ManageDevices)]
    public async Task<Outcome<bool>> RemoveRejectRuleAsync(
        int id, Actor actor, CancellationToken cancellationToken = default)
    {
        var key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageDevices, "enrollment.reject.remove", "reject-rule", key, cancellationToken))
        {
            return Outcome.Forbidden("Your role may not change enrolment settings.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rule = await db.RejectRules.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (rule is null)
        {
            return Outcome.NotFound($"There is no reject rule {id}.");
        }

        db.RejectRules.Remove(rule);
        audit.Add(db, actor, "enrollment.reject.remove", "reject-rule", key,
            before: $"{rule.Kind.Label()} {rule.Value}: {rule.Reason}");
        await db.SaveChangesAsync(cancellationToken);
        return Outcome.Of(true);
    }

    /// <summary>The enrolment queue: pending devices, newest first, with what each presented.</summary>
    public async Task<IReadOnlyList<PendingDeviceRow>> ListPendingAsync(int take = 500, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var devices = await db.Devices.AsNoTracking().Include(d => d.Macs)
            .Where(d => d.State == EnrollmentState.Pending)
            .OrderByDescending(d => d.FirstSeenAt)
            .Take(Math.Clamp(take, 1, 5000))
            .ToListAsync(cancellationToken);
        return devices.Select(d => new PendingDeviceRow(d.Id, d.Hostname, d.MachineId, d.Macs.Select(m => m.Mac).ToList(), d.SerialNumber,
            d.PresentedToken, d.Conflict, d.LastAddress, d.FirstSeenAt, d.LastRequestAt, d.State)).ToList();
    }

    private static async Task<Dictionary<int, string>> GroupNamesAsync(FleetDbContext db, CancellationToken cancellationToken) =>
        await db.DeviceGroups.AsNoTracking().ToDictionaryAsync(g => g.Id, g => g.Name, cancellationToken);

    private static async Task<(int? Id, string? Error)> ResolveGroupAsync(FleetDbContext db, string? name, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return (null, null);
        }

        var trimmed = name.Trim();
        var id = await db.DeviceGroups.AsNoTracking().Where(g => g.Name == trimmed).Select(g => (int?)g.Id).SingleOrDefaultAsync(cancellationToken);
        return id is null ? (null, $"no device group named '{Shorten(trimmed)}'") : (id, null);
    }

    private static TokenRow ToRow(EnrollmentToken t, Dictionary<int, string> groups, DateTimeOffset now) =>
        new(t.Id, t.Name, t.Prefix, t.GroupId is { } g ? groups.GetValueOrDefault(g) : DeviceGroup.DefaultName, t.CreatedAt, t.CreatedBy,
            t.ExpiresAt, t.RevokedAt, t.MaxUses, t.Uses, t.LastUsedAt, t.Unusable(now), t.ForIgnition);

    private static string Describe(EnrollmentSettings s) =>
        $"pre-registered: {(s.AutoApprovePreRegistered ? "auto" : "manual")}, tokens: {(s.AutoApproveTokens ? "auto" : "manual")}";

    private static string Shorten(string value) => value.Length <= 40 ? value : string.Concat(value.AsSpan(0, 40), "…");
}
