using Microsoft.AspNetCore.Authorization;
using OpenIddict.Validation.AspNetCore;
using Scalar.AspNetCore;

namespace Fleet.Portal.Features.Api;

internal static class ApiServiceCollectionExtensions
{
    public const string Prefix = "/api/v1";

    /// <summary>OpenAPI document, ProblemDetails for every error, and the audit of refused API calls.</summary>
    public static WebApplicationBuilder AddApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi("v1", o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Fleet API";
            document.Info.Description = "Devices and enrolment decisions. Authenticate with a bearer token from /connect/token (client credentials or authorization code + PKCE).";
            return Task.CompletedTask;
        }));
        builder.Services.AddProblemDetails();
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
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = OpenIddictValidationAspNetCoreDefaults.AuthenticationScheme })
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapDeviceEndpoints();

        app.MapOpenApi("/openapi/{documentName}.json").AllowAnonymous();
        app.MapScalarApiReference("/api/reference", o => o.WithTitle("Fleet API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
    }
}
