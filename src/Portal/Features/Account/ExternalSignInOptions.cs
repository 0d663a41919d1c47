using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Account;

/// <summary>
/// Section <c>Fleet:ExternalSignIn</c>: sign-in through the organisation's own OpenID Connect provider
/// (Keycloak, Entra ID, Authentik, another Fleet…). Off while <see cref="Authority"/> is empty.
/// </summary>
public sealed class ExternalSignInOptions
{
    public const string Section = "Fleet:ExternalSignIn";

    public const string Scheme = "external";

    /// <summary>The provider's issuer URL (its discovery document is at <c>.well-known/openid-configuration</c> below it).</summary>
    public string? Authority { get; set; }

    /// <summary>The client id the portal is registered under at the provider.</summary>
    public string? ClientId { get; set; }

    /// <summary>The client secret the provider issued for that client id; keep it out of files others read.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>The button text: "Sign in with {DisplayName}".</summary>
    [Required]
    [StringLength(64)]
    public string DisplayName { get; set; } = "single sign-on";

    /// <summary>Scopes asked for, space-separated.</summary>
    [Required]
    public string Scopes { get; set; } = "openid profile";

    /// <summary>Only for test rigs on plain HTTP; real providers are HTTPS.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>
    /// Create a local user on the first external sign-in. Off: only accounts linked before can sign in
    /// this way. A local user with the same name is never linked (that would hand it to whoever holds
    /// that name at the provider).
    /// </summary>
    public bool AutoCreateUsers { get; set; } = true;

    /// <summary>The claim whose values are mapped to Fleet roles with <see cref="RoleMapping"/> (e.g. <c>groups</c>, <c>roles</c>).</summary>
    public string? RoleClaim { get; set; }

    /// <summary>External claim value → Fleet role (Admin, Operator, HelpDesk). Applied at every external sign-in.</summary>
    public Dictionary<string, string> RoleMapping { get; set; } = [];

    /// <summary>Role given to an auto-created user no mapping matches; empty gives none (the user sees nothing until an Admin assigns one).</summary>
    public string? DefaultRole { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority);
}
