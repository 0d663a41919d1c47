using OpenIddict.Validation.AspNetCore;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// How REST API endpoints authenticate: bearer tokens issued by the portal's own OpenID Connect server,
/// never the page cookie (so a signed-in browser cannot be driven cross-site into API calls).
/// <code>
/// group.RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = ApiAuthentication.Scheme });
/// endpoint.RequireAuthorization(Policies.ManageDevices);
/// </code>
/// Without a valid token the scheme answers 401 (never a redirect to the login page); with a valid token
/// whose role does not satisfy the policy, 403.
/// </summary>
public static class ApiAuthentication
{
    public const string Scheme = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme;
}
