namespace Fleet.Portal.Features.Users;

/// <summary>A row of the user list. Fleet does not record sign-in times, so there is no "last sign-in".</summary>
/// <param name="Role">The user's role, or null for none.</param>
/// <param name="LockedOutUntil">End of a lockout after repeated wrong passwords; null when not locked out or disabled.</param>
/// <param name="Id">The user's id.</param>
/// <param name="UserName">The sign-in name.</param>
/// <param name="Email">The e-mail address, if any.</param>
/// <param name="Disabled">Whether the account is disabled.</param>
public sealed record UserRow(string Id, string UserName, string? Email, string? Role, bool Disabled, DateTimeOffset? LockedOutUntil);

/// <summary>The user list, or <see cref="UserResult.Forbidden"/> with no rows.</summary>
public sealed record UserList(UserResult Result, IReadOnlyList<UserRow> Users);

/// <summary>What an admin fills in to create a user.</summary>
/// <param name="Role">One of <see cref="Security.Roles.All"/>, or null for none.</param>
/// <param name="Password">The initial password; null or empty to generate one (returned once).</param>
/// <param name="UserName">The sign-in name.</param>
/// <param name="Email">The e-mail address, if any.</param>
public sealed record NewUser(string UserName, string? Email, string? Role, string? Password);

public enum UserResult
{
    Done,

    /// <summary>Input the admin can fix; see <see cref="UserChange.Errors"/>, located by field.</summary>
    Invalid,

    /// <summary>A guard rail said no (own account, last enabled Admin).</summary>
    Refused,

    NotFound,
    Forbidden,
}

/// <summary>Names of the fields that errors belong to; <see cref="General"/> for errors of no one field.</summary>
public static class UserFields
{
    public const string UserName = "userName";
    public const string Email = "email";
    public const string Role = "role";
    public const string Password = "password";
    public const string General = "";
}

public sealed record FieldError(string Field, string Message);

/// <summary>The outcome of a change to a user.</summary>
/// <param name="GeneratedPassword">A password the portal made up; shown to the admin once and stored nowhere in clear.</param>
/// <param name="Result">What happened.</param>
/// <param name="Errors">Why, by field, when it did not succeed.</param>
public sealed record UserChange(UserResult Result, IReadOnlyList<FieldError> Errors, string? GeneratedPassword = null)
{
    public static UserChange Forbidden { get; } = new(UserResult.Forbidden, [new FieldError(UserFields.General, "Your role may not manage users.")]);

    public static UserChange NotFound { get; } = new(UserResult.NotFound, [new FieldError(UserFields.General, "That user no longer exists.")]);

    public bool Succeeded => Result == UserResult.Done;

    /// <summary>The messages for one field, one per line; null when it has none.</summary>
    public string? ErrorFor(string field)
    {
        var messages = Errors.Where(e => e.Field == field).Select(e => e.Message).ToList();
        return messages.Count == 0 ? null : string.Join('\n', messages);
    }

    internal static UserChange Done(string? generatedPassword = null) => new(UserResult.Done, [], generatedPassword);

    internal static UserChange Invalid(IReadOnlyList<FieldError> errors) => new(UserResult.Invalid, errors);

    internal static UserChange Refused(string message) => new(UserResult.Refused, [new FieldError(UserFields.General, message)]);
}
