using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;

namespace Fleet.Portal.Features.Identity;

/// <summary>OAuth error responses from passthrough endpoints; OpenIddict renders them in the protocol's format.</summary>
internal static class OidcErrors
{
    public static ForbidHttpResult Forbid(string error, string description) =>
        TypedResults.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
                [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);

    /// <summary>
    /// OpenIddict words a failed client authentication differently for an unknown client id and for a
    /// wrong secret, which tells a caller which client ids exist. One wording for both (the log keeps
    /// OpenIddict's own reason).
    /// </summary>
    public static ValueTask HideWhichClientFailed(OpenIddictResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Error == OpenIddictConstants.Errors.InvalidClient)
        {
            response.ErrorDescription = "The client could not be authenticated.";
            response.ErrorUri = null;
        }

        return default;
    }
}
