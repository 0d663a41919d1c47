using Microsoft.AspNetCore.Authorization;
using Fleet.Portal.Features.ApiClients;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Features.Identity;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Updates;
using Scalar.AspNetCore;

namespace Fleet.Portal.Features.Api;

internal static class ApiServiceCollectionExtensions
{
    public const string Prefix = "/api/v1";

    /// <summary>
    /// OpenAPI document, ProblemDetails for every error (<see cref="ProblemExceptionHandler"/>), and the
    /// audit of refused API calls.
    /// </summary>
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Fleet API";
            document.Info.Description = "Devices, enrolment decisions and OS updates (streams, releases, groups). Authenticate with a bearer token from /connect/token (client credentials or authorization code + PKCE).";
            return Task.CompletedTask;
        }));
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();

        // Binding failures throw in every environment (the default does only in Development), so every
        // environment answers them alike: ProblemDetails naming what could not be bound, no stack trace.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, AuditingAuthorizationResultHandler>();
        return builder;
    }

    /// <summary>
    /// Maps <c>/api/v1</c>. Only bearer tokens are accepted here (never the portal's cookie), so the API
    /// cannot be driven cross-site from a signed-in browser.
    /// </summary>
    public static void MapApi(this WebApplication app)
    {
        var api = app.MapGroup(Prefix)
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = ApiAuthentication.Scheme })
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapDeviceEndpoints();
        api.MapApiClientEndpoints();
        api.MapUpdateEndpoints();
        Terminal.TerminalApiEndpoints.MapTerminalEndpoints(api);
        Configs.ConfigApiEndpoints.MapConfigEndpoints(api);
        Attestation.IdentityEndpoints.MapIdentityEndpoints(api);
        Attestation.EkCaEndpoints.MapEkCaEndpoints(api);
        api.MapEnrollmentEndpoints();
        Health.HealthApiEndpoints.MapHealthApiEndpoints(api);
        Alerts.NotificationApiEndpoints.MapNotificationEndpoints(api);
        Agents.AgentEndpoints.MapAgentApiEndpoints(api);
        Agents.AgentTargetApiEndpoints.MapAgentTargetEndpoints(api);
        Commands.CommandApiEndpoints.MapCommandEndpoints(api);
        Commands.DiagnosticApiEndpoints.MapDiagnosticEndpoints(api);
        Commands.Runs.CommandRunEndpoints.MapCommandRunEndpoints(api);
        Power.PowerApiEndpoints.MapPowerEndpoints(api);
        api.MapGet("/me", MeEndpoint.Get)
            .RequireAuthorization(Policies.ViewFleet)
            .WithName("me")
            .WithTags("Identity")
            .WithSummary("Who the bearer token says the caller is: the quickest check that a token works");

        app.MapOpenApi("/openapi/{documentName}.json")
            .AllowAnonymous();
        // Everything the page loads comes from the portal (Scalar's script is in its package): no font server, no
        // vendor AI agent, MCP or developer-tools bar, no telemetry.
        app.MapScalarApiReference("/api/reference", o => o
                .WithTitle("Fleet API")
                .WithOpenApiRoutePattern("/openapi/{documentName}.json")
                .DisableDefaultFonts()
                .DisableAgent()
                .DisableMcp()
                .DisableTelemetry()
                .HideDeveloperTools())
            .AllowAnonymous();
    }
}
