using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Account;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Users;

/// <summary>
/// People who sign in to the portal, and their roles. Every method takes the acting <see cref="Actor"/>
/// and all but <see cref="GetOwnAsync"/> need <see cref="Policies.ManageUsers"/>. A change and its audit
/// entry commit in one transaction; refusals are audited too: Denied (policy) or Failed (bad input, guard rail).
/// Audit summaries name the user, role and state, never a password or hash.
/// </summary>
/// <remarks>
/// A singleton that opens a DI scope per call: UserManager and its DbContext are scoped, and a Blazor
/// circuit's scope lives as long as the browser tab, far too long for one DbContext.
/// </remarks>
public sealed partial class UserService(
    IServiceScopeFactory scopes,
    IDbContextFactory<FleetDbContext> dbFactory,
    ActorAuthorizer authorizer,
    AuditLog audit,
    IPasswordGenerator passwords,
    TimeProvider time,
    ILogger<UserService> logger)
{
    public const int MaxUserNameLength = 64;
    public const int MaxEmailLength = 256;

    /// <summary>Longer passwords are refused before hashing, so nobody can make the server hash megabytes.</summary>
    public const int MaxPasswordLength = 512;

    private const string Entity = "user";

    private const string ForbiddenMessage = "Your role may not manage users.";

    [RequiresPolicy(Policies.ManageUsers)]
    public async Task<Outcome<IReadOnlyList<UserRow>>> ListAsync(
        Actor actor, CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageUsers, "user.list", Entity, null, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return Outcome.Of(await LoadRowsAsync(db, db.Users, cancellationToken));
    }

    /// <summary>The actor's own account, or null when the actor is not a portal user. Needs no policy.</summary>
    [NoPolicy("reads the caller's own profile")]
    public async Task<UserRow?> GetOwnAsync(Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (actor.Source is AuditSource.System or AuditSource.Device)
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var id = actor.Principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var normalized = actor.Name.Normalize().ToUpperInvariant();
        var own = id is not null ? db.Users.Where(u => u.Id == id) : db.Users.Where(u => u.NormalizedUserName == normalized);
        return (await LoadRowsAsync(db, own, cancellationToken)).SingleOrDefault();
    }

    /// <summary>Creates a user with at most one role. Without a password one is generated and returned once.</summary>
    [RequiresPolicy(Policies.ManageUsers)]
    public async Task<Outcome<string?>> CreateAsync(
        NewUser input, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        const string action = "user.create";
        var userName = input.UserName?.Trim() ?? string.Empty;
        var email = string.IsNullOrWhiteSpace(input.Email) ? null : input.Email.Trim();
        var entityId = userName.Length <= MaxUserNameLength ? userName : string.Concat(userName.AsSpan(0, MaxUserNameLength), "…");
        if (!await authorizer.AllowedAsync(actor, Policies.ManageUsers, action, Entity, entityId, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        var generated = string.IsNullOrEmpty(input.Password) ? passwords.Generate() : null;
        var password = generated ?? input.Password!;
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        var user = new IdentityUser { UserName = userName, Email = email, EmailConfirmed = email is not null };

        // Identity stops at the first failing check (password before user name); running every validator
        // up front shows the admin all problems at once, each beside its field.
        var errors = CheckInput(userName, email, input.Role, password);
        var located = errors.Select(e => e.Field).ToHashSet();
        errors.AddRange((await IdentityErrorsAsync(users, user, password)).Where(e => !located.Contains(e.Field)));
        if (errors.Count > 0)
        {
            return await FailedAsync(actor, action, entityId, Outcome.Invalid(errors), cancellationToken);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var result = await users.CreateAsync(user, password);
        if (result.Succeeded && input.Role is not null)
        {
            result = await users.AddToRoleAsync(user, input.Role);
        }

        if (!result.Succeeded)
        {
            await transaction.RollbackAsync(cancellationToken);
            return await FailedAsync(
                actor, action, entityId, Outcome.Invalid(Locate(result.Errors)), cancellationToken);
        }

        audit.Add(db, actor, action, Entity, userName, after: Summary(userName, input.Role, disabled: false),
            detail: generated is null ? "initial password set by an admin" : "initial password generated");
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("User {User} created with role {Role} by {Actor}", userName, input.Role ?? "(none)", actor.Name);
        return Outcome.Of(generated);
    }

    /// <summary>Disabled means locked out until the end of time; a lockout after wrong passwords ends.</summary>
    internal static bool IsDisabled(bool lockoutEnabled, DateTimeOffset? lockoutEnd) =>
        lockoutEnabled && lockoutEnd == DateTimeOffset.MaxValue;

    internal static bool IsDisabled(IdentityUser user) => IsDisabled(user.LockoutEnabled, user.LockoutEnd);

    /// <summary>The one role a user has; should several exist (edited by hand), the highest.</summary>
    internal static string? RoleOf(IEnumerable<string?> roles) => Roles.All.FirstOrDefault(roles.Contains);

    /// <summary>What the audit log keeps of a user: "alice: Operator, enabled".</summary>
    internal static string Summary(string? userName, string? role, bool disabled) =>
        $"{userName}: {role ?? "no role"}, {(disabled ? "disabled" : "enabled")}";

    internal static IReadOnlyList<OutcomeError> Locate(IEnumerable<IdentityError> errors) =>
        [.. errors.Select(e => OutcomeError.At(FieldOf(e.Code), e.Description))];

    /// <summary>Which form field an Identity error code is about (codes as in IdentityErrorDescriber).</summary>
    internal static string FieldOf(string code) => code switch
    {
        _ when code.StartsWith("Password", StringComparison.Ordinal) => UserFields.Password,
        _ when code.Contains("UserName", StringComparison.Ordinal) => UserFields.UserName,
        _ when code.Contains("Email", StringComparison.Ordinal) => UserFields.Email,
        _ when code.Contains("Role", StringComparison.Ordinal) => UserFields.Role,
        _ => UserFields.General,
    };

    private async Task<IReadOnlyList<UserRow>> LoadRowsAsync(FleetDbContext db, IQueryable<IdentityUser> users, CancellationToken cancellationToken)
    {
        var rows = await users.AsNoTracking()
            .OrderBy(u => u.UserName)
            .Select(u => new
            {
                u.Id,
                u.UserName,
                u.Email,
                u.LockoutEnabled,
                u.LockoutEnd,
                u.TwoFactorEnabled,
                Roles = db.UserRoles.Where(ur => ur.UserId == u.Id).Join(db.Roles, ur => ur.RoleId, r => r.Id, (_, r) => r.Name).ToList(),
            })
            .ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        return rows.Select(u =>
        {
            var disabled = IsDisabled(u.LockoutEnabled, u.LockoutEnd);
            var lockedOutUntil = !disabled && u.LockoutEnabled && u.LockoutEnd > now ? u.LockoutEnd : null;
            return new UserRow(
                u.Id, u.UserName ?? string.Empty, u.Email, RoleOf(u.Roles), disabled, lockedOutUntil,
                u.TwoFactorEnabled);
        }).ToList();
    }

    private static List<OutcomeError> CheckInput(string userName, string? email, string? role, string password)
    {
        var errors = new List<OutcomeError>();
        if (userName.Length == 0)
        {
            errors.Add(OutcomeError.At(UserFields.UserName, "Enter a user name."));
        }
        else if (userName.Length > MaxUserNameLength)
        {
            errors.Add(OutcomeError.At(UserFields.UserName, $"Use at most {MaxUserNameLength} characters."));
        }

        if (email is { Length: > MaxEmailLength })
        {
            errors.Add(OutcomeError.At(UserFields.Email, $"Use at most {MaxEmailLength} characters."));
        }
        else if (email is not null && !new EmailAddressAttribute().IsValid(email))
        {
            // Identity checks the format only when e-mail addresses must be unique, which Fleet does not require.
            errors.Add(OutcomeError.At(UserFields.Email, "Enter an address like name@example.org, or leave it empty."));
        }

        if (role is not null && !Roles.All.Contains(role))
        {
            errors.Add(OutcomeError.At(UserFields.Role, $"Choose one of {string.Join(", ", Roles.All)}, or no role."));
        }

        if (password.Length > MaxPasswordLength)
        {
            errors.Add(OutcomeError.At(UserFields.Password, $"Use at most {MaxPasswordLength} characters."));
        }

        return errors;
    }

    private static async Task<List<OutcomeError>> IdentityErrorsAsync(
        UserManager<IdentityUser> users, IdentityUser user, string password)
    {
        var errors = new List<IdentityError>();
        foreach (var validator in users.UserValidators)
        {
            errors.AddRange((await validator.ValidateAsync(users, user)).Errors);
        }

        foreach (var validator in users.PasswordValidators)
        {
            errors.AddRange((await validator.ValidateAsync(users, user, password)).Errors);
        }

        return [.. Locate(errors)];
    }

    /// <summary>Audits a refusal after authorization (bad input, guard rail) and passes it on.</summary>
    private async Task<Outcome> FailedAsync(
        Actor actor, string action, string entityId, Outcome change, CancellationToken cancellationToken)
    {
        await audit.RecordAsync(actor, action, Entity, entityId, AuditOutcome.Failed,
            string.Join("; ", change.Errors.Select(e => e.Message)), cancellationToken);
        return change;
    }
}
