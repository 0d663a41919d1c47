using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Commands;

/// <summary><c>/api/v1/diagnostics</c>: the diagnostic scripts devices may be asked to run.</summary>
internal static class DiagnosticApiEndpoints
{
    public static RouteGroupBuilder MapDiagnosticEndpoints(this RouteGroupBuilder api)
    {
        var diagnostics = api.MapGroup("/diagnostics").WithTags("Commands");
        diagnostics.MapGet("/", async (DiagnosticService s, CancellationToken ct) =>
                TypedResults.Ok(await s.ListAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("diagnostics.list")
            .WithSummary("The diagnostics, with their scripts and SHA-256");
        diagnostics.MapPost("/", CreateAsync)
            .RequireAuthorization(Policies.RunPrivilegedCommands)
            .WithName("diagnostic.create")
            .WithSummary("Define a diagnostic (name, script, description, timeoutSeconds)");
        diagnostics.MapPut("/{id:int}", async (int id, DiagnosticInput body, DiagnosticService s, HttpContext h) =>
                (await s.SaveAsync(id, body, ActorOf(h), h.RequestAborted)).ToHttp(_ => TypedResults.NoContent()))
            .RequireAuthorization(Policies.RunPrivilegedCommands)
            .WithName("diagnostic.update")
            .WithSummary("Change a diagnostic; commands already queued keep the script they were asked with");
        diagnostics.MapDelete("/{id:int}", async (int id, DiagnosticService s, HttpContext h) =>
                (await s.DeleteAsync(id, ActorOf(h), h.RequestAborted)).ToHttp())
            .RequireAuthorization(Policies.RunPrivilegedCommands)
            .WithName("diagnostic.delete")
            .WithSummary("Delete a diagnostic");
        return api;
    }

    private static async Task<Results<Created<int>, OutcomeProblem>> CreateAsync(
        DiagnosticInput body, DiagnosticService service, HttpContext http) =>
        (await service.SaveAsync(null, body, ActorOf(http), http.RequestAborted))
            .ToHttp(id => TypedResults.Created($"{ApiServiceCollectionExtensions.Prefix}/diagnostics/{id}", id));

    private static Actor ActorOf(HttpContext http) =>
        Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
}
