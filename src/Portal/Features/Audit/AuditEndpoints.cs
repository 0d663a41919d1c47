using Fleet.Portal.Features.Api;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Fleet.Portal.Features.Audit;

internal static class AuditEndpoints
{
    public const string ExportPath = "/audit/export.csv";

    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditQueryService>();
        return builder;
    }

    public static void MapAuditEndpoints(this WebApplication app)
    {
        // A download, not a page: refuse with 401/403 rather than redirecting a script or curl to the login form.
        app.MapGet(ExportPath, ExportAsync)
            .RequireAuthorization(Policies.ReadAudit)
            .DisableCookieRedirect();
    }

    /// <summary>The audit entries matching the query string's filters (names as in <see cref="AuditFilter.ToQueryString"/>), newest first.</summary>
    private static async Task<Results<PushStreamHttpResult, OutcomeProblem>> ExportAsync(
        [AsParameters] AuditFilter filter, HttpContext http, AuditQueryService audit, TimeProvider time)
    {
        var actor = Actor.FromUser(http.User, http.Connection.RemoteIpAddress?.ToString());
        var cancellationToken = http.RequestAborted;
        var entries = await audit.ExportAsync(filter, actor, cancellationToken);
        if (entries is null)
        {
            return Outcome.Forbidden("Your role may not read the audit log.").ToProblem();
        }

        var fileName = $"fleet-audit-{time.GetUtcNow():yyyyMMdd-HHmmss}.csv";
        return TypedResults.Stream(body => AuditCsv.WriteAsync(body, entries, cancellationToken), "text/csv; charset=utf-8", fileName);
    }
}
