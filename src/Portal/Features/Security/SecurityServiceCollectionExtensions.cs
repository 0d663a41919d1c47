using Fleet.Portal.Features.Audit;
using Microsoft.AspNetCore.Authorization;

namespace Fleet.Portal.Features.Security;

internal static class SecurityServiceCollectionExtensions
{
    /// <summary>The named policies of <see cref="Policies"/>, a signed-in user for everything else, and the audit log.</summary>
    public static WebApplicationBuilder AddSecurity(this WebApplicationBuilder builder)
    {
        var authorization = builder.Services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        foreach (var (policy, roles) in Policies.RolesOf)
        {
            authorization.AddPolicy(policy, p => p.RequireAuthenticatedUser()
                .RequireRole(roles)
                .AddRequirements(Account.SecondFactorRequirement.Instance));
        }

        builder.Services.AddSingleton<IAuthorizationHandler, Account.SecondFactorHandler>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<ActorAuthorizer>();
        return builder;
    }
}
