using System.Security.Claims;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Identity;

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
    AuditLog audit,
    ILogger<PasswordSignIn> logger)
{
    public const string FailedMessage =
        "Wrong user name or password, or the account is locked or disabled. Try again later or ask an admin.";

    private static readonly IdentityUser Nobody = new("nobody");
    private static string? s_nobodyHash;

    /// <returns>
    /// True when signed in (the cookie is set); false after any failure, to be answered with
    /// <see cref="FailedMessage"/>.
    /// </returns>
    public async Task<bool> SignInAsync(string userName, string password, string? remoteAddress)
    {
        var users = signIn.UserManager;
        var user = await users.FindByNameAsync(userName);
        if (user is null)
        {
            SpendAsLongAsAPasswordCheck(password);
            logger.LogWarning("Failed sign-in for {User}: no such user", userName);
            return false;
        }

        // Identity answers a locked account before checking the password; spend the same time here.
        var wasLockedOut = await users.IsLockedOutAsync(user);
        var result = await signIn.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            logger.LogInformation("User {User} signed in", userName);
            return true;
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
            // The visitor is not signed in: the entry names nobody as the actor, only the address.
            var actor = new Actor(new ClaimsPrincipal(new ClaimsIdentity()), AuditSource.Ui, remoteAddress);
            var until = await users.GetLockoutEndDateAsync(user);
            var attempts = users.Options.Lockout.MaxFailedAccessAttempts;
            await audit.RecordAsync(actor, "user.lockout", "user", userName, AuditOutcome.Denied,
                $"{userName}: locked after {attempts} wrong passwords in a row until {until:u}");
        }

        return false;
    }

    private void SpendAsLongAsAPasswordCheck(string password)
    {
        var hash = s_nobodyHash ??= hasher.HashPassword(Nobody, Guid.NewGuid().ToString("N"));
        _ = hasher.VerifyHashedPassword(Nobody, hash, password);
    }
}
