using Fleet.Portal.Features.Security;
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
    public static RouteGroupBuilder MapApiClientEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/api-clients", ListAsync)
            .RequireAuthorization(Policies.ManageUsers)
            .WithName("apiclients.list")
            .WithTags("API clients");
        return api;
    }

    private static async Task<Ok<IReadOnlyList<ApiClientRow>>> ListAsync(ApiClientService clients, CancellationToken cancellationToken) =>
        TypedResults.Ok(await clients.ListAsync(cancellationToken));
}
