using Fleet.Portal.Features.Api;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Updates.Cincinnati;

/// <summary>
/// <c>GET /v1/graph</c>, the Cincinnati endpoint Zincati polls (<c>[cincinnati] base_url</c>). Anonymous,
/// like Fedora's own update service: the graph holds nothing secret, and Zincati has no credentials.
/// </summary>
internal static class CincinnatiEndpoints
{
    public const string GraphPath = "/v1/graph";

    /// <summary>Response header naming the stream that was answered (it can differ from the one asked for).</summary>
    public const string StreamHeader = "Fleet-Update-Stream";

    public static IEndpointRouteBuilder MapCincinnatiEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(GraphPath, GetGraphAsync)
            .AllowAnonymous()
            .ExcludeFromDescription()
            .WithName("cincinnati.graph");
        return app;
    }

    /// <summary>
    /// Parse, ask the service, map: failures answer Cincinnati's own error body (<c>{"kind","value"}</c>),
    /// not ProblemDetails, since Zincati reads that one.
    /// </summary>
    private static async Task<Results<JsonHttpResult<GraphDocument>, JsonHttpResult<ProtocolError>>> GetGraphAsync(
        HttpContext http, UpdateGraphService graphs)
    {
        var query = http.Request.Query;
        string? Param(string name) => query.TryGetValue(name, out var values) ? values.FirstOrDefault() : null;
        var served = await graphs.GetGraphAsync(
            new GraphRequest(Param("basearch"), Param("stream"), Param("os_version"), Param("os_checksum"),
                Param("group"), Param("node_uuid"), Param("platform"), Param("rollout_wariness"), Param("oci")),
            http.RequestAborted);
        if (!served.Succeeded)
        {
            return OutcomeHttp.ProtocolErrorOf(served.Result);
        }

        http.Response.Headers[StreamHeader] = served.Value!.Stream;
        http.Response.Headers.CacheControl = "no-store";
        return TypedResults.Json(served.Value.Graph, CincinnatiJsonContext.Default.GraphDocument);
    }
}
