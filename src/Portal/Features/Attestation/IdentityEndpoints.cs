using System.ComponentModel;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Attestation;

/// <summary><c>/api/v1</c>: a device's identities and TPM state, open identity conflicts, resolving one.</summary>
internal static class IdentityEndpoints
{
    public static RouteGroupBuilder MapIdentityEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/devices/{id:guid}/identities", GetAsync).RequireAuthorization(Policies.ViewFleet).WithName("device.identities").WithTags("Devices")
            .ProducesProblem(StatusCodes.Status404NotFound);
        var conflicts = api.MapGroup("/identity-conflicts").WithTags("Identity conflicts");
        conflicts.MapGet("/", ListAsync).RequireAuthorization(Policies.ViewFleet).WithName("identity-conflicts.list");
        conflicts.MapPost("/{id:long}/resolve", ResolveAsync).RequireAuthorization(Policies.ManageDevices).WithName("identity-conflict.resolve")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    [EndpointSummary("Every MAC, machine-id and EK hash a device presented, its TPM state and its identity conflicts")]
    private static async Task<Results<Ok<DeviceIdentities>, ProblemHttpResult>> GetAsync(Guid id, DeviceIdentityService service, CancellationToken cancellationToken) =>
        await service.GetAsync(id, cancellationToken) is { } identities
            ? TypedResults.Ok(identities)
            : TypedResults.Problem(title: "No such device", detail: $"There is no device with id {id:N}.", statusCode: StatusCodes.Status404NotFound);

    [EndpointSummary("Open identity conflicts (the same MAC with a different EK or machine-id), newest first")]
    private static async Task<Ok<IReadOnlyList<ConflictRow>>> ListAsync(DeviceIdentityService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.OpenConflictsAsync(cancellationToken));

    /// <summary>The body of a resolution.</summary>
    /// <param name="Resolution">What the person found and decided (1-1024 characters).</param>
    internal sealed record ResolveRequest([property: Description("What was found, 1-1024 characters")] string Resolution);

    [EndpointSummary("Mark an identity conflict resolved (merges nothing; approve, reject or decommission separately)")]
    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult, ForbidHttpResult>> ResolveAsync(
        long id, ResolveRequest body, DeviceIdentityService service, HttpContext http, CancellationToken cancellationToken)
    {
        var actor = Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
        return await service.ResolveAsync(id, body.Resolution ?? string.Empty, actor, cancellationToken) switch
        {
            ConflictResolveResult.Done => TypedResults.NoContent(),
            ConflictResolveResult.Invalid => TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["resolution"] = [$"must be 1-{DeviceIdentityService.MaxResolutionLength} characters"] }),
            ConflictResolveResult.NotFound => TypedResults.Problem(title: "No such conflict", detail: $"There is no identity conflict {id}.", statusCode: StatusCodes.Status404NotFound),
            ConflictResolveResult.AlreadyResolved => TypedResults.Problem(title: "Already resolved", detail: $"Identity conflict {id} was already resolved.", statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.Forbid(),
        };
    }
}
