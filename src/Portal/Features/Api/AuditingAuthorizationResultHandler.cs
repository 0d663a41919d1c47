using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Fleet.Portal.Features.Api;

/// <summary>
/// Audits every refused attempt to change something at the endpoint level (a HelpDesk token calling
/// POST /api/v1/devices/{id}/approve), then lets the default handler answer 401/403 as usual.
/// Refusals inside services are audited by <see cref="ActorAuthorizer"/>; together nothing slips by.
/// </summary>
internal sealed class AuditingAuthorizationResultHandler(AuditLog audit) : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();

    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(authorizeResult);
        if (authorizeResult.Forbidden && IsMutating(context.Request.Method))
        {
            var endpoint = context.GetEndpoint();
            var action = endpoint?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? $"{context.Request.Method} {context.Request.Path}";
            var entityId = context.Request.RouteValues.TryGetValue("id", out var id) ? id?.ToString() : null;
            var source = context.Request.Path.StartsWithSegments(ApiServiceCollectionExtensions.Prefix) ? AuditSource.Api : AuditSource.Ui;
            var actor = new Actor(context.User, source, context.Connection.RemoteIpAddress?.ToString());
            var failed = string.Join("; ", authorizeResult.AuthorizationFailure?.FailedRequirements.Select(r => r.ToString()) ?? []);
            await audit.RecordAsync(actor, action, "endpoint", entityId ?? context.Request.Path, AuditOutcome.Denied,
                $"{context.Request.Method} {context.Request.Path} refused: {failed}", context.RequestAborted);
        }

        await _default.HandleAsync(next, context, policy, authorizeResult);
    }

    private static bool IsMutating(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);
}
