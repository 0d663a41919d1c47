using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// The identities tokens are issued for. Both kinds carry <c>name</c> and at most one <c>role</c>, the
/// claim types OpenIddict's validation maps to <see cref="ClaimsIdentity.Name"/> and
/// <see cref="ClaimsPrincipal.IsInRole"/>, so <see cref="Security.Policies"/> apply to API callers as to pages.
/// </summary>
internal static class FleetPrincipals
{
    /// <summary>
    /// A confidential client (client credentials): name = client id, role from the granted scopes.
    /// </summary>
    public static ClaimsPrincipal ForClient(string clientId, IEnumerable<string> scopes)
    {
        var granted = scopes.Where(FleetScopes.IsKnown).Distinct(StringComparer.Ordinal).ToList();
        var identity = NewIdentity();
        identity.SetClaim(Claims.Subject, clientId);
        identity.SetClaim(Claims.Name, clientId);
        identity.SetClaims(Claims.Role, FleetScopes.HighestRole(granted) is { } role ? [role] : []);
        identity.SetScopes(granted);
        identity.SetDestinations(static _ => [Destinations.AccessToken]);
        return new ClaimsPrincipal(identity);
    }

    /// <summary>
    /// A signed-in user (authorization code, refresh): the OpenID scopes asked for, plus the Fleet scopes
    /// the user's own role allows. The role claim is the highest of those, never more than the user has,
    /// so a CLI that asks only for fleet.read gets a read-only token even for an Admin.
    /// </summary>
    public static ClaimsPrincipal ForUser(string userId, string userName, IEnumerable<string> userRoles, IEnumerable<string> requestedScopes)
    {
        var requested = requestedScopes.Distinct(StringComparer.Ordinal).ToList();
        var fleet = FleetScopes.AllowedFor(userRoles.ToList(), requested).ToList();
        string[] standard = [Scopes.OpenId, Scopes.Profile, Scopes.Roles, Scopes.OfflineAccess];
        var identity = NewIdentity();
        identity.SetClaim(Claims.Subject, userId);
        identity.SetClaim(Claims.Name, userName);
        identity.SetClaims(Claims.Role, FleetScopes.HighestRole(fleet) is { } role ? [role] : []);
        identity.SetScopes([.. requested.Where(standard.Contains), .. fleet]);
        identity.SetDestinations(claim => UserDestinations(claim, identity));
        return new ClaimsPrincipal(identity);
    }

    private static ClaimsIdentity NewIdentity() =>
        new(TokenValidationParameters.DefaultAuthenticationType, Claims.Name, Claims.Role);

    // The id token (read by the client, not the API) gets name and role only when the client asked for them.
    private static string[] UserDestinations(Claim claim, ClaimsIdentity identity) => claim.Type switch
    {
        Claims.Subject => [Destinations.AccessToken, Destinations.IdentityToken],
        Claims.Name when identity.HasScope(Scopes.Profile) => [Destinations.AccessToken, Destinations.IdentityToken],
        Claims.Role when identity.HasScope(Scopes.Roles) => [Destinations.AccessToken, Destinations.IdentityToken],
        _ => [Destinations.AccessToken],
    };
}
