using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Fleet.Portal.Features.Account;

/// <summary>
/// Part of every named policy: a user of a role in <see cref="AccountOptions.TwoFactorRequiredRoles"/> who signed
/// in with the password alone (Identity's <c>amr</c> claim "pwd") is refused until they sign in with a code. The
/// own-account page needs no named policy, so that is where such a user can still go to set two-factor up.
/// Bearer tokens and external sign-in carry no "pwd" and pass.
/// </summary>
internal sealed class SecondFactorRequirement : IAuthorizationRequirement
{
    public static SecondFactorRequirement Instance { get; } = new();

    /// <summary>The claim Identity's SignInManager adds to say how a user signed in.</summary>
    public const string MethodClaim = "amr";

    /// <summary>Whether this principal still owes a second factor.</summary>
    public static bool Owes(ClaimsPrincipal user, AccountOptions options) =>
        user.HasClaim(MethodClaim, "pwd")
        && options.RequiresTwoFactor(user.FindAll(ClaimTypes.Role).Select(c => c.Value));
}

internal sealed class SecondFactorHandler(IOptionsMonitor<AccountOptions> options)
    : AuthorizationHandler<SecondFactorRequirement>
{
    protected override Task HandleRequirementAsync(
        AuthorizationHandlerContext context, SecondFactorRequirement requirement)
    {
        if (!SecondFactorRequirement.Owes(context.User, options.CurrentValue))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
