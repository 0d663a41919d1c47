using Fleet.Portal.Features.Identity;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.ApiClients;

internal static class ApiClientsServiceCollectionExtensions
{
    public static WebApplicationBuilder AddApiClients(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ApiClientService>();
        return builder;
    }

    /// <summary><c>GET /api/v1/api-clients</c>: the client list for Admin tokens (creating and revoking stay in the UI, where the secret is shown once).</summary>
    public static void MapApiClientEndpoints(this WebApplication app)
    {
        app.MapGet("/api/v1/api-clients", ListAsync)
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = ApiAuthentication.Scheme })
            .RequireAuthorization(Policies.ManageUsers)
            .WithName("apiclients.list")
            .WithTags("API clients");
    }

    private static async Task<Ok<IReadOnlyList<ApiClientRow>>> ListAsync(ApiClientService clients, CancellationToken cancellationToken) =>
        TypedResults.Ok(await clients.ListAsync(cancellationToken));
}
