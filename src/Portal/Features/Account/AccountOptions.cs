using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Account;

/// <summary>
/// Section <c>Fleet:Accounts</c>: how soon account changes reach sessions that are already signed in, and which
/// roles must sign in with a second factor.
/// </summary>
public sealed class AccountOptions
{
    public const string Section = "Fleet:Accounts";

    /// <summary>
    /// Seconds between checks of a signed-in session's security stamp against the database. Disabling a
    /// user, resetting a password, changing a role or forcing a sign-out takes effect within this time.
    /// 0 checks every request (one extra database read each).
    /// </summary>
    [Range(0, 86_400)]
    public int SessionValidationSeconds { get; set; } = 60;

    public TimeSpan SessionValidationInterval => TimeSpan.FromSeconds(SessionValidationSeconds);

    /// <summary>
    /// How often an open Blazor circuit is re-checked: the same interval, but never more often than every
    /// 5 s, because each circuit runs its own loop and 0 would spin.
    /// </summary>
    public TimeSpan CircuitRevalidationInterval => TimeSpan.FromSeconds(Math.Max(5, SessionValidationSeconds));

    /// <summary>
    /// Roles (Admin, Operator, HelpDesk) whose users must sign in with an authenticator code. A user of such a role
    /// without two-factor is sent to set it up right after the password and can open nothing else until then.
    /// External (OIDC) sign-in is not affected: the identity provider owns its second factor.
    /// </summary>
    public List<string> TwoFactorRequiredRoles { get; set; } = [];

    /// <summary>Whether a user with these roles must use two-factor.</summary>
    public bool RequiresTwoFactor(IEnumerable<string> roles) => roles.Any(TwoFactorRequiredRoles.Contains);
}
