using Fleet.Portal.Features.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Configs;

/// <summary>
/// <c>GET /ignition?mac=…|uuid=…|device=…[&amp;secrets=omit][&amp;exp=…&amp;sig=…]</c>: the device-facing,
/// anonymous Matchbox-style config endpoint. Requests without a valid signature are rate limited per address (429).
/// Unknown MAC/UUID → 404 and (up to a cap) a Pending device. Secrets are rendered only for an approved device over a
/// signed URL that the portal issued for secrets (never the <c>secrets=omit</c> URLs of <c>/boot.ipxe</c>).
/// <c>Accept: …;version=3.x.0</c> is honoured or refused with 406. What to answer is <see cref="IgnitionService"/>'s
/// to decide; errors are ProblemDetails like every other endpoint's (Ignition reads only the status).
/// </summary>
internal static class IgnitionEndpoints
{
    /// <summary>Enrolment id prefix of a Pending record made for an unknown machine that asked for its config; enrolment adopts it.</summary>
    public const string PendingEnrollmentPrefix = "ignition-";

    public const string ContentType = "application/vnd.coreos.ignition+json";

    public static IEndpointRouteBuilder MapIgnitionEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ignition", ServeAsync)
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<FileContentHttpResult, OutcomeProblem>> ServeAsync(
        HttpContext http, IgnitionService ignition)
    {
        var query = http.Request.Query;
        var request = new IgnitionRequest(query["mac"], query["uuid"], query["device"], query["exp"], query["sig"],
            query["secrets"], http.Connection.RemoteIpAddress, http.Request.Headers.Accept.ToString());
        var served = await ignition.ServeAsync(request, http.RequestAborted);
        http.Response.Headers.CacheControl = "no-store";
        return served.ToHttp(body => TypedResults.Bytes(body, ContentType));
    }
}
