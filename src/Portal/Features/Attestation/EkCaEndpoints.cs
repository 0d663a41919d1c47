using System.ComponentModel;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Attestation;

/// <summary><c>/api/v1/attestation/ek-cas</c>: the TPM manufacturer CAs trusted for EK certificates.</summary>
internal static class EkCaEndpoints
{
    public static RouteGroupBuilder MapEkCaEndpoints(this RouteGroupBuilder api)
    {
        var cas = api.MapGroup("/attestation/ek-cas").WithTags("TPM attestation");
        cas.MapGet("/", List)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("ek-cas.list");
        cas.MapPost("/", AddAsync)
            .RequireAuthorization(Policies.ManageAttestation)
            .WithName("ek-cas.add");
        cas.MapDelete("/{thumbprint}", RemoveAsync)
            .RequireAuthorization(Policies.ManageAttestation)
            .WithName("ek-ca.remove");
        return api;
    }

    [EndpointSummary("The trusted TPM manufacturer CA certificates (roots, intermediates) and their files")]
    private static Ok<IReadOnlyList<EkCaRow>> List(EkCaService service) => TypedResults.Ok(service.List());

    /// <summary>The body of an upload.</summary>
    /// <param name="Pem">One or more CA certificates, PEM.</param>
    internal sealed record AddEkCaRequest(
        [property: Description("CA certificates, PEM (roots and intermediates)")] string Pem);

    [EndpointSummary("Trust TPM manufacturer CA certificates (PEM, CAs only), e.g. swtpm's local CA in a lab")]
    private static async Task<Results<Ok<IReadOnlyList<EkCaRow>>, OutcomeProblem>> AddAsync(
        AddEkCaRequest body, EkCaService service, HttpContext http, CancellationToken cancellationToken)
    {
        var actor = Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
        return (await service.AddAsync(body.Pem ?? string.Empty, actor, cancellationToken)).ToHttp();
    }

    [EndpointSummary("Stop trusting an uploaded TPM manufacturer CA (by SHA-256 thumbprint)")]
    private static async Task<Results<NoContent, OutcomeProblem>> RemoveAsync(
        string thumbprint, EkCaService service, HttpContext http, CancellationToken cancellationToken)
    {
        var actor = Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
        return (await service.RemoveAsync(thumbprint, actor, cancellationToken)).ToHttp();
    }
}
