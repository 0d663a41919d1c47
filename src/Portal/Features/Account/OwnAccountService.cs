using System.Security.Claims;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Users;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Account;

/// <summary>The signed-in user's own account as the account page shows it.</summary>
/// <param name="UserName">The sign-in name.</param>
/// <param name="TimeZoneId">The chosen IANA time zone, or null for the browser's.</param>
/// <param name="TwoFactorEnabled">Whether sign-in asks for an authenticator code.</param>
/// <param name="RecoveryCodesLeft">Unused recovery codes.</param>
/// <param name="TwoFactorRequired">Whether the user's role must use two-factor (Fleet:Accounts).</param>
public sealed record OwnAccount(
    string UserName, string? TimeZoneId, bool TwoFactorEnabled, int RecoveryCodesLeft, bool TwoFactorRequired);

/// <summary>What an authenticator app needs: the shared key (Base32) and the otpauth:// URI of the QR code.</summary>
public sealed record AuthenticatorKey(string Key, string Uri);

/// <summary>Names of the account page's fields that errors belong to.</summary>
public static class AccountFields
{
    public const string CurrentPassword = "currentPassword";
    public const string NewPassword = "newPassword";
    public const string TimeZone = "timeZone";
    public const string Code = "code";
}

/// <summary>
/// What every signed-in user may change of their own account, whatever their role (HelpDesk too): password, time
/// zone, two-factor. No policy: the account is the principal's own, found by its user id. Every change and every
/// refusal is audited, as in <see cref="UserService"/>; a scope per call for the same reason.
/// </summary>
public sealed class OwnAccountService(
    IServiceScopeFactory scopes,
    AuditLog audit,
    IOptionsMonitor<AccountOptions> options,
    ILogger<OwnAccountService> logger)
{
    /// <summary>The user claim (AspNetUserClaims) that holds the chosen IANA time zone id.</summary>
    public const string TimeZoneClaim = "fleet:time_zone";

    public const int RecoveryCodeCount = 10;

    private const string Entity = "user";
    private const string Issuer = "Fleet";

    /// <summary>The IANA zones this machine knows, sorted: the choices of the time zone picker.</summary>
    public static IReadOnlyList<string> TimeZones { get; } =
        [.. TimeZoneInfo.GetSystemTimeZones().Where(z => z.HasIanaId).Select(z => z.Id).Order(StringComparer.Ordinal)];

    [NoPolicy("the caller's own account")]
    public async Task<OwnAccount?> GetAsync(Actor actor)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (await FindAsync(users, actor) is not { } user)
        {
            return null;
        }

        return new OwnAccount(
            user.UserName ?? actor.Name,
            await TimeZoneIdAsync(users, user),
            user.TwoFactorEnabled,
            await users.CountRecoveryCodesAsync(user),
            options.CurrentValue.RequiresTwoFactor(await users.GetRolesAsync(user)));
    }

    /// <summary>The user's chosen time zone read from the database (a circuit's principal may be older).</summary>
    [NoPolicy("the caller's own setting")]
    public async Task<TimeZoneInfo?> TimeZoneOfAsync(ClaimsPrincipal principal)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        return await FindAsync(users, Actor.FromUser(principal)) is { } user
            && await TimeZoneIdAsync(users, user) is { } id
            && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone)
                ? zone
                : null;
    }

    /// <summary>
    /// Changes the password after checking the current one (Identity's password rules apply). Identity gives the
    /// account a new security stamp: every other session ends, and this one at its next check.
    /// </summary>
    [NoPolicy("the caller's own password")]
    public Task<Outcome> ChangePasswordAsync(Actor actor, string currentPassword, string newPassword) =>
        ChangeAsync(actor, "user.own-password", async (users, user) =>
        {
            if (newPassword.Length > UserService.MaxPasswordLength)
            {
                return Outcome.Invalid(
                    AccountFields.NewPassword, $"Use at most {UserService.MaxPasswordLength} characters.");
            }

            var result = await users.ChangePasswordAsync(user, currentPassword, newPassword);
            return result.Succeeded ? Outcome.Done : Outcome.Invalid([.. result.Errors.Select(PasswordError)]);
        });

    /// <summary>Sets the zone times are shown in (one of <see cref="TimeZones"/>); null: the browser's.</summary>
    [NoPolicy("the caller's own setting")]
    public Task<Outcome> SetTimeZoneAsync(Actor actor, string? zoneId) =>
        ChangeAsync(actor, "user.time-zone", async (users, user) =>
        {
            var id = string.IsNullOrWhiteSpace(zoneId) ? null : zoneId.Trim();
            if (id is not null && !TimeZones.Contains(id))
            {
                return Outcome.Invalid(AccountFields.TimeZone, "Choose a time zone from the list, like Europe/Berlin.");
            }

            var current = (await users.GetClaimsAsync(user)).Where(c => c.Type == TimeZoneClaim).ToList();
            var result = current.Count > 0 ? await users.RemoveClaimsAsync(user, current) : IdentityResult.Success;
            if (result.Succeeded && id is not null)
            {
                result = await users.AddClaimAsync(user, new Claim(TimeZoneClaim, id));
            }

            return FromIdentity(result);
        });

    /// <summary>
    /// The authenticator key to set up two-factor with: the one of an unfinished set-up, else a new one. Not a
    /// change anybody relies on yet (two-factor stays off until a code confirms it), so not audited.
    /// </summary>
    [NoPolicy("the caller's own two-factor")]
    public async Task<Outcome<AuthenticatorKey>> AuthenticatorKeyAsync(Actor actor)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        if (await FindAsync(users, actor) is not { } user)
        {
            return Outcome.NotFound("You are not signed in as a portal user.");
        }

        if (user.TwoFactorEnabled)
        {
            return Outcome.Conflict("Two-factor is already on. An admin can reset it if the authenticator is lost.");
        }

        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key))
        {
            // Not ResetAuthenticatorKeyAsync: it also renews the security stamp, which would sign out the very
            // session doing the set-up; a key that nothing accepts yet ends no session's trust.
            var store = (IUserAuthenticatorKeyStore<IdentityUser>)scope.ServiceProvider
                .GetRequiredService<IUserStore<IdentityUser>>();
            await store.SetAuthenticatorKeyAsync(user, users.GenerateNewAuthenticatorKey(), CancellationToken.None);
            var saved = await users.UpdateAsync(user);
            if (!saved.Succeeded)
            {
                return FromIdentity(saved).As<AuthenticatorKey>();
            }

            key = await users.GetAuthenticatorKeyAsync(user);
        }

        return Outcome.Of(new AuthenticatorKey(key!, OtpAuthUri(user.UserName ?? actor.Name, key!)));
    }

    /// <summary>
    /// Turns two-factor on once <paramref name="code"/> from the authenticator matches, and returns the recovery
    /// codes, which no page shows again. Sessions go on: a second factor
    /// added does not make them less trusted, and a new stamp would sign out the page showing the codes.
    /// </summary>
    [NoPolicy("the caller's own two-factor")]
    public async Task<Outcome<IReadOnlyList<string>>> EnableTwoFactorAsync(Actor actor, string code)
    {
        IReadOnlyList<string> codes = [];
        var change = await ChangeAsync(actor, "user.two-factor-enable", async (users, user) =>
        {
            if (user.TwoFactorEnabled)
            {
                return Outcome.Conflict("Two-factor is already on.");
            }

            var provider = users.Options.Tokens.AuthenticatorTokenProvider;
            if (!await users.VerifyTwoFactorTokenAsync(user, provider, NormalizeCode(code)))
            {
                return Outcome.Invalid(AccountFields.Code,
                    "That code does not match. Enter the 6 digits the app shows now (check the device's clock).");
            }

            codes = [.. await users.GenerateNewTwoFactorRecoveryCodesAsync(user, RecoveryCodeCount) ?? []];
            user.TwoFactorEnabled = true;
            return FromIdentity(await users.UpdateAsync(user));
        });
        return change.Succeeded ? Outcome.Of(codes) : change.As<IReadOnlyList<string>>();
    }

    /// <summary>The otpauth:// URI apps read from the QR code (Key Uri Format: TOTP, 6 digits, 30 s).</summary>
    public static string OtpAuthUri(string userName, string key) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(userName)}"
        + $"?secret={key}&issuer={Uri.EscapeDataString(Issuer)}&digits=6";

    /// <summary>The key in groups of four, lower case, as people type it into an app by hand.</summary>
    public static string Grouped(string key) =>
        string.Join(' ', key.ToLowerInvariant().Chunk(4).Select(c => new string(c)));

    /// <summary>Codes as people type them: with spaces or dashes between groups.</summary>
    public static string NormalizeCode(string? code) =>
        new([.. (code ?? string.Empty).Where(c => !char.IsWhiteSpace(c) && c != '-')]);

    /// <summary>A recovery code as Identity stores it (XXXXX-XXXXX, upper case), however it was typed.</summary>
    public static string RecoveryCodeForm(string? code)
    {
        var compact = new string([.. (code ?? string.Empty).Where(c => !char.IsWhiteSpace(c))]).ToUpperInvariant();
        return compact.Length == 10 && !compact.Contains('-', StringComparison.Ordinal)
            ? $"{compact[..5]}-{compact[5..]}"
            : compact;
    }

    /// <summary>"alice: time zone Europe/Berlin, two-factor on": what the audit log keeps of an own account.</summary>
    internal static string Summary(string? userName, string? timeZoneId, bool twoFactor) =>
        $"{userName}: time zone {timeZoneId ?? "of the browser"}, two-factor {(twoFactor ? "on" : "off")}";

    /// <summary>The frame of every change: find the own user, apply, audit before/after, commit.</summary>
    private async Task<Outcome> ChangeAsync(
        Actor actor, string action, Func<UserManager<IdentityUser>, IdentityUser, Task<Outcome>> apply)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        if (await FindAsync(users, actor) is not { } user)
        {
            await audit.RecordAsync(actor, action, Entity, actor.Name, AuditOutcome.Denied, "not a portal user");
            return Outcome.NotFound("You are not signed in as a portal user.");
        }

        await using var transaction = await db.Database.BeginTransactionAsync();
        var before = Summary(user.UserName, await TimeZoneIdAsync(users, user), user.TwoFactorEnabled);
        var change = await apply(users, user);
        if (!change.Succeeded)
        {
            await transaction.RollbackAsync();
            await audit.RecordAsync(actor, action, Entity, user.UserName, AuditOutcome.Failed,
                string.Join("; ", change.Errors.Select(e => e.Message)));
            return change;
        }

        var after = Summary(user.UserName, await TimeZoneIdAsync(users, user), user.TwoFactorEnabled);
        audit.Add(db, actor, action, Entity, user.UserName, before, after, detail: "own account");
        await db.SaveChangesAsync();
        await transaction.CommitAsync();
        logger.LogInformation("{Action} by {User} on their own account", action, user.UserName);
        return change;
    }

    /// <summary>The actor's own user: by id where the principal has one, else by name; never a device's.</summary>
    private static async Task<IdentityUser?> FindAsync(UserManager<IdentityUser> users, Actor actor)
    {
        if (actor.Source is AuditSource.System or AuditSource.Device
            || actor.Principal.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        return users.GetUserId(actor.Principal) is { } id
            ? await users.FindByIdAsync(id)
            : await users.FindByNameAsync(actor.Name);
    }

    private static OutcomeError PasswordError(IdentityError error) =>
        error.Code == nameof(IdentityErrorDescriber.PasswordMismatch)
            ? OutcomeError.At(AccountFields.CurrentPassword, "That is not your current password.")
            : OutcomeError.At(AccountFields.NewPassword, error.Description);

    private static async Task<string?> TimeZoneIdAsync(UserManager<IdentityUser> users, IdentityUser user) =>
        (await users.GetClaimsAsync(user)).FirstOrDefault(c => c.Type == TimeZoneClaim)?.Value;

    private static Outcome FromIdentity(IdentityResult result) =>
        result.Succeeded ? Outcome.Done : Outcome.Invalid(UserService.Locate(result.Errors));
}
