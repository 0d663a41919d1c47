namespace Fleet.Portal.Features.Users;

/// <summary>A row of the user list. Fleet does not record sign-in times, so there is no "last sign-in".</summary>
/// <param name="Role">The user's role, or null for none.</param>
/// <param name="LockedOutUntil">End of a lockout after repeated wrong passwords; null when not locked out or disabled.</param>
/// <param name="Id">The user's id.</param>
/// <param name="UserName">The sign-in name.</param>
/// <param name="Email">The e-mail address, if any.</param>
/// <param name="Disabled">Whether the account is disabled.</param>
/// <param name="TwoFactorEnabled">Whether sign-in asks for an authenticator code.</param>
public sealed record UserRow(
    string Id, string UserName, string? Email, string? Role, bool Disabled, DateTimeOffset? LockedOutUntil,
    bool TwoFactorEnabled);

/// <summary>What an admin fills in to create a user.</summary>
/// <param name="Role">One of <see cref="Security.Roles.All"/>, or null for none.</param>
/// <param name="Password">The initial password; null or empty to generate one (returned once).</param>
/// <param name="UserName">The sign-in name.</param>
/// <param name="Email">The e-mail address, if any.</param>
public sealed record NewUser(string UserName, string? Email, string? Role, string? Password);

/// <summary>Names of the fields that errors belong to; <see cref="General"/> for errors of no one field.</summary>
public static class UserFields
{
    public const string UserName = "userName";
    public const string Email = "email";
    public const string Role = "role";
    public const string Password = "password";
    public const string General = "";
}
