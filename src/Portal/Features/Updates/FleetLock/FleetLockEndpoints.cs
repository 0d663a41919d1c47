using System.Text.Json;
using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Updates.Cincinnati;
using Microsoft.AspNetCore.Http.HttpResults;
using Fleet.Shared;

namespace Fleet.Portal.Features.Updates.FleetLock;

/// <summary>
/// <c>POST /v1/pre-reboot</c> and <c>POST /v1/steady-state</c>, anonymous like airlock: Zincati has no
/// credentials to offer. The fixed header <c>fleet-lock-protocol: true</c> is required so that a request
/// redirected here by accident does nothing.
/// </summary>
internal static class FleetLockEndpoints
{
    public const string PreRebootPath = "/v1/pre-reboot";
    public const string SteadyStatePath = "/v1/steady-state";
    private const int MaxBodyBytes = 4096;

    public static IEndpointRouteBuilder MapFleetLockEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(PreRebootPath, (HttpContext http, FleetLockService locks) =>
                HandleAsync(http, (id, group, ct) => locks.PreRebootAsync(id, group, ct)))
            .AllowAnonymous()
            .DisableAntiforgery()
            .ExcludeFromDescription()
            .WithName("fleetlock.pre-reboot");
        app.MapPost(SteadyStatePath, (HttpContext http, FleetLockService locks) =>
                HandleAsync(http, (id, group, ct) => locks.SteadyStateAsync(id, group, ct)))
            .AllowAnonymous()
            .DisableAntiforgery()
            .ExcludeFromDescription()
            .WithName("fleetlock.steady-state");
        return app;
    }

    /// <summary>
    /// Parse, ask the service, map: the outcome's failures answer FleetLock's own error body
    /// (<c>{"kind","value"}</c>, which Zincati logs), not ProblemDetails: the protocol defines it.
    /// </summary>
    private static async Task<Results<Ok, JsonHttpResult<ProtocolError>>> HandleAsync(
        HttpContext http, Func<string, string, CancellationToken, Task<Outcome>> operation)
    {
        var (identity, problem) = await ReadIdentityAsync(http.Request, http.RequestAborted);
        var outcome = problem is not null
            ? Outcome.Invalid("", $"failed to validate client identity: {problem}")
                with { Code = FleetLockService.InvalidClientIdentity }
            : await operation(identity!.Value.Id, identity.Value.Group, http.RequestAborted);
        return outcome.Succeeded ? TypedResults.Ok() : OutcomeHttp.ProtocolErrorOf(outcome);
    }

    /// <summary>The header check and <c>{"client_params":{"id","group"}}</c>, as airlock's <c>validateIdentity</c>.</summary>
    private static async Task<((string Id, string Group)? Identity, string? Problem)> ReadIdentityAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!string.Equals(request.Headers["fleet-lock-protocol"].ToString(), "true", StringComparison.Ordinal))
        {
            return (null, "wrong 'fleet-lock-protocol' header");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, "body too large");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return (null, "body too large");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            using var document = JsonDocument.Parse(buffer.ToArray());
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("client_params", out var parameters)
                || parameters.ValueKind != JsonValueKind.Object)
            {
                return (null, "missing client_params");
            }

            var group = StringOf(parameters, "group");
            var id = StringOf(parameters, "id");
            if (string.IsNullOrEmpty(group))
            {
                return (null, "empty group");
            }

            if (!UpdateRules.IsGroupName(group))
            {
                return (null, "group must match ^[a-zA-Z0-9.-]+$ (at most 64 characters)");
            }

            if (string.IsNullOrEmpty(id))
            {
                return (null, "empty node ID");
            }

            return id.Length > FleetLockHolder.MaxNodeIdLength || id.Any(char.IsControl)
                ? (null, "node ID too long or not printable")
                : ((id, group), null);
        }
        catch (JsonException e)
        {
            return (null, $"malformed JSON body ({e.Message})");
        }
    }

    private static string? StringOf(JsonElement parameters, string name) =>
        parameters.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
