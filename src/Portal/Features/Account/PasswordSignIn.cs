using System.Security.Claims;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Account;

/// <summary>
/// The sign-in form's password check. Whatever went wrong (no such user, wrong password, locked out,
/// disabled) the visitor gets the same <see cref="FailedMessage"/>, and a password hash is verified
/// either way, so neither the answer nor its time tells which user names exist. The reason goes to the
/// log (Warning) for admins, and the attempt that locks an account is in the audit log.
/// </summary>
internal sealed class PasswordSignIn(
    SignInManager<IdentityUser> signIn,
    IPasswordHasher<IdentityUser> hasher,
    IOptions<AccountOptions> accounts,
    AuditLog audit,
    ILogger<PasswordSignIn> logger)
{
    public const string FailedMessage =
        "Wrong user name or password, or the account is locked or disabled. Try again later or ask an admin.";

    private static readonly IdentityUser NoSuchUser = new("nobody");
    private static string? s_nobodyHash;

    /// <returns>
    /// What comes next: the console, the authenticator code, the two-factor set-up (signed in, but owing a second
    /// factor), or <see cref="SignInStep.Failed"/>, to be answered with <see cref="FailedMessage"/>.
    /// </returns>
    public async Task<SignInStep> SignInAsync(string userName, string password, string? remoteAddress)
    {
        var users = signIn.UserManager;
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            SpendAsLongAsAPasswordCheck(password);
            logger.LogWarning("Failed sign-in for {User}: no such user", userName);
            return SignInStep.Failed;
        }

        // Identity answers a locked account before checking the password; spend the same time here.
        var wasLockedOut = await users.IsLockedOutAsync(user);
        var result = await signIn.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: true);
        if (result.RequiresTwoFactor)
        {
            // The password was right; Identity keeps who is signing in in its two-factor cookie until the code.
            logger.LogInformation("User {User} gave the password; asking for the code", userName);
            return SignInStep.CodeNeeded;
        }

        if (result.Succeeded)
        {
            logger.LogInformation("User {User} signed in", userName);
            return accounts.Value.RequiresTwoFactor(await users.GetRolesAsync(user))
                ? SignInStep.SetUpNeeded
                : SignInStep.SignedIn;
        }

        if (wasLockedOut || result.IsNotAllowed)
        {
            SpendAsLongAsAPasswordCheck(password);
        }

        var reason = (wasLockedOut, result.IsLockedOut, result.IsNotAllowed) switch
        {
            (true, _, _) => "locked out or disabled",
            (_, true, _) => "wrong password, now locked out",
            (_, _, true) => "not allowed",
            _ => "wrong password",
        };
        logger.LogWarning("Failed sign-in for {User}: {Reason}", userName, reason);
        if (!wasLockedOut && result.IsLockedOut)
        {
            await AuditLockoutAsync(user, "wrong passwords", remoteAddress);
        }

        return SignInStep.Failed;
    }

    /// <summary>
    /// The second step: an authenticator code (6 digits) or a recovery code (anything else) for the user whose
    /// password Identity's two-factor cookie vouches for. Wrong codes count towards the same lockout as wrong
    /// passwords; a used recovery code is audited, as it changes the account.
    /// </summary>
    public async Task<SignInStep> CodeSignInAsync(string code, string? remoteAddress)
    {
        var users = signIn.UserManager;
        var user = await signIn.GetTwoFactorAuthenticationUserAsync();
        if (user is null)
        {
            logger.LogWarning("Code sign-in without a password step first (or it expired)");
            return SignInStep.Failed;
        }

        var userName = user.UserName ?? user.Id;
        var wasLockedOut = await users.IsLockedOutAsync(user);
        var normalized = OwnAccountService.NormalizeCode(code);
        var recovery = !(normalized.Length == 6 && normalized.All(char.IsAsciiDigit));
        SignInResult result;
        if (!recovery)
        {
            result = await signIn.TwoFactorAuthenticatorSignInAsync(
                normalized, isPersistent: false, rememberClient: false);
        }
        else if (wasLockedOut)
        {
            // Identity's recovery-code sign-in checks no lockout and counts no failure; Fleet does both.
            result = SignInResult.LockedOut;
        }
        else
        {
            result = await signIn.TwoFactorRecoveryCodeSignInAsync(OwnAccountService.RecoveryCodeForm(code));
            if (!result.Succeeded)
            {
                await users.AccessFailedAsync(user);
                result = await users.IsLockedOutAsync(user) ? SignInResult.LockedOut : result;
            }
        }

        if (result.Succeeded)
        {
            logger.LogInformation(
                "User {User} signed in with {Kind}", userName, recovery ? "a recovery code" : "a code");
            if (recovery)
            {
                var left = await users.CountRecoveryCodesAsync(user);
                var actor = Actor.FromUser(
                    new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, userName)], "recovery")),
                    remoteAddress);
                await audit.RecordAsync(actor, "user.recovery-code", "user", userName,
                    AuditOutcome.Succeeded, $"{userName}: signed in with a recovery code; {left} left");
            }

            return SignInStep.SignedIn;
        }

        logger.LogWarning("Failed sign-in for {User}: wrong {Kind}{Locked}", userName,
            recovery ? "recovery code" : "authenticator code", result.IsLockedOut ? ", locked out" : string.Empty);
        if (!wasLockedOut && result.IsLockedOut)
        {
            await AuditLockoutAsync(user, "wrong passwords or codes", remoteAddress);
        }

        return SignInStep.Failed;
    }

    /// <summary>The visitor is not signed in: the entry names nobody as the actor, only the address.</summary>
    private static Actor Nobody(string? remoteAddress) =>
        new(new ClaimsPrincipal(new ClaimsIdentity()), AuditSource.Ui, remoteAddress);

    private async Task AuditLockoutAsync(IdentityUser user, string what, string? remoteAddress)
    {
        var users = signIn.UserManager;
        var until = await users.GetLockoutEndDateAsync(user);
        var attempts = users.Options.Lockout.MaxFailedAccessAttempts;
        await audit.RecordAsync(Nobody(remoteAddress), "user.lockout", "user", user.UserName, AuditOutcome.Denied,
            $"{user.UserName}: locked after {attempts} {what} in a row until {until:u}");
    }

    private void SpendAsLongAsAPasswordCheck(string password)
    {
        var hash = s_nobodyHash ??= hasher.HashPassword(NoSuchUser, Guid.NewGuid().ToString("N"));
        _ = hasher.VerifyHashedPassword(NoSuchUser, hash, password);
    }
}

/// <summary>Where a sign-in attempt leaves the visitor.</summary>
internal enum SignInStep
{
    /// <summary>Wrong name, password or code, locked out or disabled: one answer for all.</summary>
    Failed,

    /// <summary>Signed in; on to the page asked for.</summary>
    SignedIn,

    /// <summary>The password was right and two-factor is on: the authenticator code comes next.</summary>
    CodeNeeded,

    /// <summary>Signed in, but the role requires two-factor and it is not set up: on to the account page.</summary>
    SetUpNeeded,
}
