using System.ComponentModel.DataAnnotations;

namespace Fleet.Portal.Features.Identity;

/// <summary>Section <c>Fleet:Identity</c>: the portal's OpenID Connect provider.</summary>
public sealed class IdentityProviderOptions
{
    public const string Section = "Fleet:Identity";

    /// <summary>
    /// The issuer (the portal's public base URL, e.g. <c>https://fleet.example.org/</c>). Empty: taken from
    /// each request, so a token is accepted only at the scheme, host and port it was issued at. Set it
    /// behind a reverse proxy or when the portal is reached under several names.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>How long an access token is valid. Revoking a client or a token ends it sooner.</summary>
    [Range(1, 1440)]
    public int AccessTokenLifetimeMinutes { get; set; } = 30;

    /// <summary>How long a refresh token (CLI sign-in with offline_access) is valid; each use issues a new one.</summary>
    [Range(1, 365)]
    public int RefreshTokenLifetimeDays { get; set; } = 14;

    internal bool HasValidIssuer() =>
        string.IsNullOrEmpty(Issuer)
        || (Uri.TryCreate(Issuer, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) && string.IsNullOrEmpty(uri.Query));
}
