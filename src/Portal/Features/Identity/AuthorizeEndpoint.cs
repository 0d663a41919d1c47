using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// <c>/connect/authorize</c> after OpenIddict has validated the request (client, redirect URI, PKCE,
/// scopes): sends a visitor to the login page and back, then issues the code for the signed-in user.
/// There is no consent screen: the only public client is Fleet's own CLI, and confidential clients are
/// created by an Admin.
/// </summary>
internal static class AuthorizeEndpoint
{
    public static async Task<Results<ChallengeHttpResult, SignInHttpResult, ForbidHttpResult>> HandleAsync(
        HttpContext context, UserManager<IdentityUser> users)
    {
        var request = context.GetOpenIddictServerRequest()
            ?? throw new InvalidOperationException("OpenIddict did not attach the authorization request.");

        var cookie = await context.AuthenticateAsync(IdentityConstants.ApplicationScheme);
        var user = cookie.Succeeded ? await users.GetUserAsync(cookie.Principal) : null;
        if (user is null)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return OidcErrors.Forbid(Errors.LoginRequired, "The user is not signed in.");
            }

            // Back to this same request after the login page (which accepts only local return URLs).
            var parameters = context.Request.HasFormContentType
                ? context.Request.Form.Select(p => KeyValuePair.Create(p.Key, p.Value))
                : context.Request.Query.Select(p => KeyValuePair.Create(p.Key, p.Value));
            var returnUrl = context.Request.PathBase + context.Request.Path + QueryString.Create(parameters);
            return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = returnUrl }, [IdentityConstants.ApplicationScheme]);
        }

        var principal = FleetPrincipals.ForUser(user.Id, user.UserName ?? user.Id, await users.GetRolesAsync(user), request.GetScopes());
        return TypedResults.SignIn(principal, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }
}
