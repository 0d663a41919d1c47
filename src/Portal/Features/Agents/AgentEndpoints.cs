using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Security;
using Fleet.Shared;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Fleet.Portal.Features.Agents;

/// <summary>
/// <c>GET /agent/{version}/{architecture}</c>: the device-facing, anonymous download of a build (what the built-in
/// Ignition layer and self-updates fetch), range-resumable, with its SHA-512 in <c>X-Fleet-Sha512</c> and the
/// <c>ETag</c>; rate limited per address like <c>/ignition</c>. And <c>/api/v1/agents/builds</c>: list and upload.
/// </summary>
internal static class AgentEndpoints
{
    /// <summary>Response header carrying the build's SHA-512 (128 lower-case hex digits).</summary>
    public const string Sha512Header = "X-Fleet-Sha512";

    /// <summary>Response header carrying the portal's Ed25519 signature of the build (base64).</summary>
    public const string SignatureHeader = "X-Fleet-Signature";

    public static IEndpointRouteBuilder MapAgentDownloadEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/agent/{version}/{architecture}", DownloadAsync)
            .AllowAnonymous()
            .ExcludeFromDescription();
        return app;
    }

    public static RouteGroupBuilder MapAgentApiEndpoints(this RouteGroupBuilder api)
    {
        var agents = api.MapGroup("/agents").WithTags("Agents");
        agents.MapGet("/builds", async (AgentCatalog catalog, CancellationToken ct) =>
                TypedResults.Ok(await catalog.ListAsync(ct)))
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("agent.builds")
            .WithSummary("The agent builds the portal serves: version, architecture, size, SHA-512, signature");
        agents.MapPost("/builds", UploadAsync)
            .RequireAuthorization(Policies.ManageAgents)
            .WithName("agent.build.add")
            .WithSummary("Upload a build: ?version=…&architecture=x86_64|aarch64, the file as the body "
                + "(application/octet-stream); its ELF header must name that architecture");
        agents.MapDelete("/builds/{id:int}", (int id, AgentCatalog catalog, HttpContext http) =>
                Run(http, a => catalog.DeleteAsync(id, a, http.RequestAborted)))
            .RequireAuthorization(Policies.ManageAgents)
            .WithName("agent.build.delete")
            .WithSummary("Delete a build; refused while a fleet or group target names its version");
        return api;
    }

    private static async Task<Results<Ok<AgentBuildRow>, OutcomeProblem>> UploadAsync(
        string? version, string? architecture, HttpRequest request, AgentCatalog catalog, HttpContext http)
    {
        var actor = Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString());
        return (await catalog.UploadAsync(version, architecture, request.Body, actor, http.RequestAborted)).ToHttp();
    }

    private static async Task<Results<NoContent, OutcomeProblem>> Run(
        HttpContext http, Func<Actor, Task<Outcome>> action) =>
        (await action(Actor.FromApi(http.User, http.Connection.RemoteIpAddress?.ToString()))).ToHttp();

    private static async Task<IResult> DownloadAsync(string version, string architecture, HttpContext http,
        AgentCatalog catalog, AnonymousRequestLimiter limiter, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(AgentEndpoints).FullName!);
        var address = http.Connection.RemoteIpAddress;
        if (!limiter.TryTake(address))
        {
            return Outcome.TooManyRequests(
                    $"Too many requests from {address}; retry after {limiter.RetryAfterSeconds} s.",
                    TimeSpan.FromSeconds(limiter.RetryAfterSeconds))
                .ToHttp();
        }

        var build = await catalog.FindAsync(version, architecture, http.RequestAborted);
        var file = build is null ? null : catalog.FileOf(version, architecture);
        if (build is null || file is null)
        {
            var reason = !AgentSignature.Architectures.Contains(architecture)
                ? $"'{Printable(architecture)}' is not an agent architecture: use "
                    + string.Join(" or ", AgentSignature.Architectures) + "."
                : build is null
                    ? $"This portal holds no agent build {Printable(version)} for {architecture}."
                    : $"The file of agent build {version} {architecture} is missing from the portal's folders.";
            logger.LogInformation("Agent download {Version} {Architecture} from {Address}: 404, {Reason}",
                Printable(version), Printable(architecture), address, reason);
            return Outcome.NotFound(reason).ToHttp();
        }

        var range = http.Request.Headers.Range.ToString();
        logger.LogInformation(
            "Agent download {Version} {Architecture} by {Address}, range {Range}",
            version, architecture, address, range.Length == 0 ? "whole file" : range);
        http.Response.Headers[Sha512Header] = build.Sha512;
        http.Response.Headers[SignatureHeader] = build.Signature;
        http.Response.Headers.CacheControl = "no-cache";
        return Results.File(file, "application/octet-stream", fileDownloadName: null, lastModified: null,
            entityTag: new EntityTagHeaderValue($"\"sha512-{build.Sha512[..32]}\""), enableRangeProcessing: true);
    }

    /// <summary>A caller's value made safe to log and echo: printable ASCII, at most 64 characters.</summary>
    private static string Printable(string value) =>
        new([.. value.Take(64).Select(c => c is >= ' ' and <= '~' ? c : '?')]);
}
