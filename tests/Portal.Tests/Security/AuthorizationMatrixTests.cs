using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Security;

/// <summary>
/// Every mutating endpoint and every mutating service action, called as every role. The lists are
/// read from the running portal (its endpoint table) and from the feature services (every public
/// method that takes an <see cref="Actor"/>), so a new endpoint or action is covered, and one
/// without a named policy fails here.
/// </summary>
public sealed class AuthorizationMatrixTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    /// <summary>Endpoints that are meant for anonymous callers: sign-in, OIDC protocol, health, static assets, docs.</summary>
    private static readonly string[] AnonymousPrefixes = ["/account/", "/connect/", "/.well-known/", "/healthz", "/readyz", "/error", "/openapi/", "/api/reference", "/_framework/", "/_content/", "/_blazor"];

    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public void Endpoints_EveryApiEndpoint_HasANamedPolicy()
    {
        var missing = ApiEndpoints().Where(e => PolicyOf(e) is null).Select(Describe).ToList();

        Assert.True(missing.Count == 0, "API endpoints without a named policy from Policies: " + string.Join(", ", missing));
        Assert.NotEmpty(MutatingApiEndpoints());
    }

    [Fact]
    public async Task MutatingApiEndpoints_EachRole_RefusedOrAllowedByPolicyAndDenialsAudited()
    {
        var tokens = new Dictionary<string, string>();
        foreach (var role in Roles.All)
        {
            tokens[role] = await ApiTokens.GetTokenAsync(Portal, role);
        }

        var failures = new List<string>();
        foreach (var endpoint in MutatingApiEndpoints())
        {
            var policy = PolicyOf(endpoint)!;
            foreach (var method in Methods(endpoint))
            {
                var anonymous = await CallAsync(endpoint, method, token: null);
                if (anonymous != HttpStatusCode.Unauthorized)
                {
                    failures.Add($"{method} {Describe(endpoint)} anonymous: {anonymous}, expected 401");
                }

                foreach (var role in Roles.All)
                {
                    var status = await CallAsync(endpoint, method, tokens[role]);
                    var allowed = Policies.RolesOf[policy].Contains(role);
                    if (allowed && status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    {
                        failures.Add($"{method} {Describe(endpoint)} as {role}: {status}, expected to be allowed by {policy}");
                    }
                    else if (!allowed && status != HttpStatusCode.Forbidden)
                    {
                        failures.Add($"{method} {Describe(endpoint)} as {role}: {status}, expected 403 ({policy})");
                    }
                    else if (!allowed && !await DeniedAuditedAsync(AuditSource.Api))
                    {
                        failures.Add($"{method} {Describe(endpoint)} as {role}: refused but not audited");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    [Fact]
    public async Task MutatingServiceActions_EachRole_RefusedOrAllowedByPolicyAndDenialsAudited()
    {
        var actions = ServiceActions().ToList();
        Assert.NotEmpty(actions);
        var failures = new List<string>();
        foreach (var (service, method) in actions)
        {
            foreach (var role in Roles.All)
            {
                var actor = TestActors.User($"matrix-{role}-{Guid.NewGuid():N}", role);
                var before = await DeniedCountAsync(actor.Name);
                await InvokeAsync(service, method, actor);
                var denied = await DeniedCountAsync(actor.Name) > before;
                var allowedRoles = RequiredRolesOf(method);
                if (allowedRoles.Contains(role) == denied)
                {
                    failures.Add($"{service.Name}.{method.Name} as {role}: {(denied ? "refused" : "allowed")}, expected {(denied ? "allowed" : "refused")}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
    }

    private IEnumerable<RouteEndpoint> ApiEndpoints() =>
        Portal.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true);

    private IEnumerable<RouteEndpoint> MutatingApiEndpoints() => ApiEndpoints().Where(e => Methods(e).Any(m => m is "POST" or "PUT" or "PATCH" or "DELETE"));

    private static IEnumerable<string> Methods(RouteEndpoint endpoint) =>
        endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Where(m => m is "POST" or "PUT" or "PATCH" or "DELETE") ?? [];

    private static string? PolicyOf(Endpoint endpoint) =>
        endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Select(a => a.Policy).LastOrDefault(p => p is not null && Policies.RolesOf.ContainsKey(p));

    private static string Describe(RouteEndpoint endpoint) => endpoint.RoutePattern.RawText ?? endpoint.DisplayName ?? "?";

    private async Task<HttpStatusCode> CallAsync(RouteEndpoint endpoint, string method, string? token)
    {
        using var client = new HttpClient { BaseAddress = Portal.BaseAddress };
        var path = Fill(endpoint.RoutePattern.RawText!);
        using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Fills route parameters with values that parse (a fresh id), so authorization, not routing, decides.</summary>
    private static string Fill(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{(\w+)(:[^}]*)?\}", m => m.Groups[2].Value switch
        {
            ":guid" => Guid.NewGuid().ToString("N"),
            ":int" or ":long" => "1",
            _ => "x",
        });

    private async Task<bool> DeniedAuditedAsync(AuditSource source)
    {
        await using var db = await Portal.CreateDbAsync();
        return await db.AuditEntries.AnyAsync(a => a.Outcome == AuditOutcome.Denied && a.Source == source);
    }

    private async Task<int> DeniedCountAsync(string actor)
    {
        await using var db = await Portal.CreateDbAsync();
        return await db.AuditEntries.CountAsync(a => a.Actor == actor && a.Outcome == AuditOutcome.Denied);
    }

    /// <summary>Every public instance method of a Fleet service that takes an <see cref="Actor"/>: the actions the UI and API can trigger.</summary>
    private static IEnumerable<(Type Service, MethodInfo Method)> ServiceActions() =>
        typeof(PortalApp).Assembly.GetTypes()
            .Where(t => t.IsClass && t.IsPublic && t.Name.EndsWith("Service", StringComparison.Ordinal))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .Where(m => m.GetParameters().Any(p => p.ParameterType == typeof(Actor)) && m.GetCustomAttribute<NoPolicyAttribute>() is null)
                .Select(m => (t, m)));

    /// <summary>
    /// The roles an action admits, from the <see cref="RequiresPolicyAttribute"/> on the method: an action
    /// without it fails the matrix (as a missing policy would).
    /// </summary>
    private static string[] RequiredRolesOf(MethodInfo method)
    {
        var policy = method.GetCustomAttribute<RequiresPolicyAttribute>()?.Policy
            ?? throw new InvalidOperationException($"{method.DeclaringType!.Name}.{method.Name} takes an Actor but declares no [RequiresPolicy]");
        return Policies.RolesOf[policy];
    }

    private async Task InvokeAsync(Type serviceType, MethodInfo method, Actor actor)
    {
        var service = Portal.Services.GetRequiredService(serviceType);
        var args = method.GetParameters().Select(p => ArgumentFor(p, actor)).ToArray();
        if (method.Invoke(service, args) is Task task)
        {
            await task;
        }
    }

    private static object? ArgumentFor(ParameterInfo parameter, Actor actor)
    {
        var type = parameter.ParameterType;
        if (type == typeof(Actor))
        {
            return actor;
        }

        if (type == typeof(Guid))
        {
            return Guid.NewGuid();
        }

        if (type == typeof(string))
        {
            return $"matrix-{Guid.NewGuid():N}"[..20];
        }

        if (type == typeof(CancellationToken))
        {
            return CancellationToken.None;
        }

        if (type == typeof(bool))
        {
            return true;
        }

        // Any collection of ids a Guid[] is (IEnumerable, IReadOnlyCollection, IReadOnlyList…).
        if (type.IsGenericType && type.IsInterface && type.GenericTypeArguments is [var item] && item == typeof(Guid)
            && type.IsAssignableFrom(typeof(Guid[])))
        {
            return new[] { Guid.NewGuid() };
        }

        if (parameter.HasDefaultValue)
        {
            return parameter.DefaultValue;
        }

        return type.IsValueType ? Activator.CreateInstance(type) : CreateRequest(type);
    }

    /// <summary>Request records (create-user input and the like) built from their constructor with placeholder values.</summary>
    private static object? CreateRequest(Type type, int depth = 0)
    {
        if (depth > 3)
        {
            return null;
        }

        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        if (constructor is null)
        {
            return null;
        }

        var values = constructor.GetParameters().Select(p => p.ParameterType == typeof(string) ? $"m{Guid.NewGuid():N}"[..16]
            : p.ParameterType == typeof(IReadOnlyList<string>) || p.ParameterType == typeof(string[]) ? new[] { Roles.HelpDesk }
            : p.HasDefaultValue ? p.DefaultValue
            : p.ParameterType.IsValueType ? Activator.CreateInstance(p.ParameterType)
            : p.ParameterType.IsClass ? CreateRequest(p.ParameterType, depth + 1) : null).ToArray();
        return constructor.Invoke(values);
    }
}
