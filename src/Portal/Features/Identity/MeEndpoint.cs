using System.Security.Claims;
using Fleet.Portal.Features.Security;
using OpenIddict.Abstractions;

namespace Fleet.Portal.Features.Identity;

/// <summary><c>GET /api/v1/me</c>: who the bearer token says the caller is. The quickest check that a token works.</summary>
internal static class MeEndpoint
{
    public static Microsoft.AspNetCore.Http.HttpResults.Ok<MeResponse> Get(ClaimsPrincipal user) =>
        TypedResults.Ok(new MeResponse(
            user.Identity?.Name ?? "anonymous",
            [.. Roles.All.Where(user.IsInRole)],
            [.. user.GetScopes()]));
}

/// <summary>The caller's name (user name or client id), role and granted scopes.</summary>
public sealed record MeResponse(string Name, IReadOnlyList<string> Roles, IReadOnlyList<string> Scopes);
