using System.ComponentModel;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Attestation;

/// <summary><c>/api/v1</c>: a device's identities and TPM state, open identity conflicts, resolving one.</summary>
internal static class IdentityEndpoints
{
    public static RouteGroupBuilder MapIdentityEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/devices/{id:guid}/identities", GetAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("device.identities")
            .WithTags("Devices");
        var conflicts = api.MapGroup("/identity-conflicts").WithTags("Identity conflicts");
        conflicts.MapGet("/", ListAsync)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("identity-conflicts.list");
        conflicts.MapPost("/{id:long}/resolve", ResolveAsync)
            .RequireAuthorization(Policies.ManageDevices)
            .WithName("identity-conflict.resolve");
        return api;
    }

    [EndpointSummary("Every MAC, machine-id and EK hash a device presented, its TPM state and its identity conflicts")]
    private static async Task<Results<Ok<DeviceIdentities>, OutcomeProblem>> GetAsync(
        Guid id, DeviceIdentityService service, CancellationToken cancellationToken) =>
        (await service.GetAsync(id, cancellationToken) is { } identities
            ? Outcome.Of(identities)
            : Outcome.NotFound($"There is no device with id {id:N}.")).ToHttp();

    [EndpointSummary("Open identity conflicts (the same MAC with a different EK or machine-id), newest first")]
    private static async Task<Ok<IReadOnlyList<ConflictRow>>> ListAsync(DeviceIdentityService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.OpenConflictsAsync(cancellationToken));

    /// <summary>The body of a resolution.</summary>
    /// <param name="Resolution">What the person found and decided (1-1024 characters).</param>
    internal sealed record ResolveRequest([property: Description("What was found, 1-1024 characters")] string Resolution);

    [EndpointSummary("Mark an identity conflict resolved (merges nothing; approve, reject or decommission separately)")]
    private static async Task<Results<NoContent, OutcomeProblem>> ResolveAsync(
        long id, ResolveRequest body, DeviceIdentityService service, HttpContext http, CancellationToken cancellationToken)
    {
        var actor = Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
        return (await service.ResolveAsync(id, body.Resolution ?? string.Empty, actor, cancellationToken)).ToHttp();
    }
}
