using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// <c>/connect/token</c> after OpenIddict has authenticated the client and validated the grant: decides
/// who the token is for. Client credentials get a role from their scopes; codes and refresh tokens are
/// re-checked against the user store so a deleted, locked-out or demoted user stops getting tokens.
/// </summary>
internal static class TokenEndpoint
{
    public static async Task<Results<SignInHttpResult, ForbidHttpResult>> HandleAsync(
        HttpContext context, IOpenIddictApplicationManager applications, UserManager<IdentityUser> users, SignInManager<IdentityUser> signIn)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not attach the token request.");

        if (request.IsClientCredentialsGrantType())
        {
            var application = await applications.FindByClientIdAsync(request.ClientId!, context.RequestAborted)
                ?? throw new InvalidOperationException("OpenIddict authenticated a client that does not exist.");
            var scopes = request.GetScopes();

            // No scope asked for: everything the client was granted (RFC 6749 §3.3 lets the server pick a default).
            IEnumerable<string> granted = scopes.IsEmpty
                ? (await applications.GetPermissionsAsync(application, context.RequestAborted))
                    .Where(p => p.StartsWith(Permissions.Prefixes.Scope, StringComparison.Ordinal))
                    .Select(p => p[Permissions.Prefixes.Scope.Length..])
                : scopes;
            return SignIn(FleetPrincipals.ForClient(request.ClientId!, granted));
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var previous = (await context.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme)).Principal;
            var subject = previous?.GetClaim(Claims.Subject);
            var user = subject is null ? null : await users.FindByIdAsync(subject);
            if (previous is null || user is null || !await signIn.CanSignInAsync(user) || await users.IsLockedOutAsync(user))
            {
                return OidcErrors.Forbid(Errors.InvalidGrant, "The user can no longer sign in.");
            }

            return SignIn(FleetPrincipals.ForUser(user.Id, user.UserName ?? user.Id, await users.GetRolesAsync(user), previous.GetScopes()));
        }

        return OidcErrors.Forbid(Errors.UnsupportedGrantType, "This grant type is not supported.");
    }

    private static SignInHttpResult SignIn(System.Security.Claims.ClaimsPrincipal principal) =>
        TypedResults.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
}
