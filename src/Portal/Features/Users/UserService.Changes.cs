using System.Security.Claims;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Features.Users;

/// <summary>Changes to an existing user: role, disable/enable, password reset, forced sign-out.</summary>
public sealed partial class UserService
{
    /// <summary>
    /// Gives the user exactly <paramref name="role"/> (one of <see cref="Roles.All"/>), or no role when null.
    /// Also signs the user out everywhere: roles are copied into the cookie and into open circuits, and a new
    /// security stamp is what makes both pick up the change.
    /// </summary>
    [RequiresPolicy(Policies.ManageUsers)]
    public Task<Outcome> SetRoleAsync(
        string userId, string? role, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(userId, actor, "user.roles", null, async target =>
        {
            if (role is not null && !Roles.All.Contains(role))
            {
                return Outcome.Invalid(UserFields.Role, $"Choose one of {string.Join(", ", Roles.All)}, or no role.");
            }

            var current = await target.Users.GetRolesAsync(target.User);
            if (role is null ? current.Count == 0 : current.Count == 1 && current.Contains(role))
            {
                return Outcome.Done;   // already so: no new stamp, nobody signed out for nothing
            }

            if (current.Contains(Roles.Admin) && role != Roles.Admin && await AdminGuardAsync(target, "take the Admin role from") is { } refusal)
            {
                return Outcome.Conflict(refusal);
            }

            var result = IdentityResult.Success;
            var remove = current.Where(r => r != role).ToList();
            if (remove.Count > 0)
            {
                result = await target.Users.RemoveFromRolesAsync(target.User, remove);
            }

            if (result.Succeeded && role is not null && !current.Contains(role))
            {
                result = await target.Users.AddToRoleAsync(target.User, role);
            }

            if (result.Succeeded)
            {
                result = await target.Users.UpdateSecurityStampAsync(target.User);
            }

            return FromIdentity(result);
        }, cancellationToken);

    /// <summary>Locks the user out for good and ends their sessions. Refused for oneself and the last enabled Admin.</summary>
    [RequiresPolicy(Policies.ManageUsers)]
    public Task<Outcome> DisableAsync(string userId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(userId, actor, "user.disable", null, async target =>
        {
            if (await AdminGuardAsync(target, "disable") is { } refusal)
            {
                return Outcome.Conflict(refusal);
            }

            target.User.LockoutEnabled = true;
            target.User.LockoutEnd = DateTimeOffset.MaxValue;

            // Saves the lockout too. The new stamp ends existing sessions: cookies at their next check
            // (Fleet:Accounts:SessionValidationSeconds), open circuits at their next revalidation.
            return FromIdentity(await target.Users.UpdateSecurityStampAsync(target.User));
        }, cancellationToken);

    /// <summary>Lets a disabled (or locked-out) user sign in again.</summary>
    [RequiresPolicy(Policies.ManageUsers)]
    public Task<Outcome> EnableAsync(string userId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(userId, actor, "user.enable", null, async target =>
        {
            target.User.LockoutEnd = null;
            target.User.AccessFailedCount = 0;
            return FromIdentity(await target.Users.UpdateAsync(target.User));
        }, cancellationToken);

    /// <summary>
    /// Sets <paramref name="newPassword"/>, or generates one (returned once) when it is null or empty. Ends
    /// the user's sessions and lifts a lockout after wrong passwords (not a disable).
    /// </summary>
    [RequiresPolicy(Policies.ManageUsers)]
    public async Task<Outcome<string?>> ResetPasswordAsync(
        string userId, string? newPassword, Actor actor, CancellationToken cancellationToken = default)
    {
        var generated = string.IsNullOrEmpty(newPassword) ? passwords.Generate() : null;
        var password = generated ?? newPassword!;
        var detail = generated is null ? "password set by an admin" : "password generated";
        var change = await ChangeAsync(userId, actor, "user.password-reset", detail, async target =>
        {
            if (password.Length > MaxPasswordLength)
            {
                return Outcome.Invalid(UserFields.Password, $"Use at most {MaxPasswordLength} characters.");
            }

            if (!IsDisabled(target.User))
            {
                target.User.LockoutEnd = null;
                target.User.AccessFailedCount = 0;
            }

            // ResetPasswordAsync validates the password and replaces the security stamp in one save.
            var token = await target.Users.GeneratePasswordResetTokenAsync(target.User);
            var result = await target.Users.ResetPasswordAsync(target.User, token, password);
            return FromIdentity(result);
        }, cancellationToken);
        return change.Succeeded ? Outcome.Of(generated) : change.As<string?>();
    }

    /// <summary>
    /// Turns the user's two-factor off (a lost phone): a new authenticator key nobody holds, no recovery codes, and
    /// a new security stamp that ends their sessions. They sign in with the password alone and set it up again.
    /// </summary>
    [RequiresPolicy(Policies.ManageUsers)]
    public Task<Outcome> ResetTwoFactorAsync(
        string userId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(userId, actor, "user.two-factor-reset", "two-factor off; new authenticator key, no recovery codes",
            async target =>
            {
                var (users, user, _) = target;
                var result = await users.SetTwoFactorEnabledAsync(user, enabled: false);
                if (result.Succeeded)
                {
                    result = await users.ResetAuthenticatorKeyAsync(user);
                }

                if (result.Succeeded)
                {
                    _ = await users.GenerateNewTwoFactorRecoveryCodesAsync(user, 0);
                }

                return FromIdentity(result);
            }, cancellationToken);

    /// <summary>Ends every session of the user (a new security stamp); they can sign in again at once.</summary>
    [RequiresPolicy(Policies.ManageUsers)]
    public Task<Outcome> ForceSignOutAsync(string userId, Actor actor, CancellationToken cancellationToken = default) =>
        ChangeAsync(
            userId, actor, "user.signout", null,
            async target => FromIdentity(await target.Users.UpdateSecurityStampAsync(target.User)), cancellationToken);

    /// <summary>
    /// The frame of every change: authorize, load the user, apply, audit before/after, commit. The
    /// transaction is IMMEDIATE on SQLite (Microsoft.Data.Sqlite's default), so the guard rails' reads and
    /// the change hold the write lock together: two admins cannot demote each other at the same moment.
    /// </summary>
    private async Task<Outcome> ChangeAsync(
        string userId, Actor actor, string action, string? detail, Func<Target, Task<Outcome>> apply,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();

        // The audit log names users by user name (fixed in Fleet, and readable); looked up before
        // authorizing so that denials name the user too.
        var userName = await db.Users.AsNoTracking().Where(u => u.Id == userId).Select(u => u.UserName).SingleOrDefaultAsync(cancellationToken);
        var entityId = userName ?? userId;
        if (!await authorizer.AllowedAsync(actor, Policies.ManageUsers, action, Entity, entityId, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return Outcome.NotFound("That user no longer exists.");
        }

        var before = await SummaryAsync(users, user);
        var change = await apply(new Target(users, user, actor));
        if (!change.Succeeded)
        {
            await transaction.RollbackAsync(cancellationToken);
            return await FailedAsync(actor, action, entityId, change, cancellationToken);
        }

        audit.Add(db, actor, action, Entity, entityId, before, await SummaryAsync(users, user), detail: detail);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("{Action} on user {User} by {Actor}", action, entityId, actor.Name);
        return change;
    }

    /// <summary>
    /// Why <paramref name="verb"/> must not be done to this user: it is the actor's own account (an admin
    /// would lock themselves out), or the last enabled Admin (nobody could manage users any more).
    /// </summary>
    private static async Task<string?> AdminGuardAsync(Target target, string verb)
    {
        var (users, user, actor) = target;
        var enabledAdmin = !IsDisabled(user) && await users.IsInRoleAsync(user, Roles.Admin);
        var enabledAdmins = enabledAdmin
            ? (await users.GetUsersInRoleAsync(Roles.Admin)).Count(u => !IsDisabled(u))
            : 0;
        return AdminGuard(IsOwn(actor, user.Id, user.UserName), enabledAdmin, enabledAdmins, user.UserName, verb);
    }

    /// <summary>Whether <paramref name="userId"/> / <paramref name="userName"/> is the actor's own account.</summary>
    public static bool IsOwn(Actor actor, string userId, string? userName)
    {
        ArgumentNullException.ThrowIfNull(actor);
        return actor.Principal.FindFirstValue(ClaimTypes.NameIdentifier) == userId
            || string.Equals(actor.Name, userName, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The one rule, for the service (which refuses) and the Users page (which shows it before anyone tries): an
    /// admin may not lock themselves out, and the last enabled Admin stays one.
    /// </summary>
    public static string? AdminGuard(bool own, bool enabledAdmin, int enabledAdmins, string? userName, string verb) =>
        own ? $"You cannot {verb} your own account. Ask another admin."
        : enabledAdmin && enabledAdmins <= 1 ? $"{userName} is the last enabled Admin. Make another user Admin first."
        : null;

    private static async Task<string> SummaryAsync(UserManager<IdentityUser> users, IdentityUser user) =>
        Summary(user.UserName, RoleOf(await users.GetRolesAsync(user)), IsDisabled(user))
        + (user.TwoFactorEnabled ? ", two-factor on" : string.Empty);

    private static Outcome FromIdentity(IdentityResult result) =>
        result.Succeeded ? Outcome.Done : Outcome.Invalid(Locate(result.Errors));

    private sealed record Target(UserManager<IdentityUser> Users, IdentityUser User, Actor Actor);
}
