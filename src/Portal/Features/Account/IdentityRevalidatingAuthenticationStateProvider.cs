using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Account;

/// <summary>
/// The cookie's security-stamp check only runs on HTTP requests; an open Blazor circuit makes none. This
/// re-checks the circuit's user every <see cref="AccountOptions.CircuitRevalidationInterval"/> and signs
/// the circuit out when the user is gone or the stamp changed (disabled, password reset, role changed,
/// forced sign-out). The pattern of the ASP.NET Core Identity Blazor template.
/// </summary>
internal sealed class IdentityRevalidatingAuthenticationStateProvider(
    ILoggerFactory loggerFactory,
    IServiceScopeFactory scopes,
    IOptions<IdentityOptions> identity,
    IOptions<AccountOptions> accounts)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => accounts.Value.CircuitRevalidationInterval;

    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(authenticationState);
        return IsCurrentAsync(authenticationState.User);
    }

    /// <summary>True while the principal's user exists and its security stamp is the one in the database.</summary>
    internal async Task<bool> IsCurrentAsync(ClaimsPrincipal principal)
    {
        // A scope per check: the circuit's own scope lives for hours and must not hold a DbContext that long.
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = await users.GetUserAsync(principal);
        if (user is null)
        {
            return false;
        }

        if (!users.SupportsUserSecurityStamp)
        {
            return true;
        }

        var principalStamp = principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return principalStamp == await users.GetSecurityStampAsync(user);
    }
}
