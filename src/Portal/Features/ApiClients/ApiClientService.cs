using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Identity;
using Fleet.Portal.Features.Security;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Portal.Features.ApiClients;

/// <summary>
/// Confidential OAuth clients for scripts and integrations (client credentials). Admin only; every
/// change is audited in the same transaction as the change, and the secret appears only in the
/// <see cref="CreateAsync"/> result: OpenIddict stores a hash.
/// </summary>
public sealed class ApiClientService(
    IServiceScopeFactory scopes,
    ActorAuthorizer authorizer,
    AuditLog audit,
    TimeProvider time,
    ILogger<ApiClientService> logger)
{
    public const int MaxNameLength = 100;
    private const string CreatedAtProperty = "fleet_created_at";
    private const string CreatedByProperty = "fleet_created_by";
    private const string ForbiddenMessage = "Your role may not manage API clients.";

    public async Task<IReadOnlyList<ApiClientRow>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var rows = new List<ApiClientRow>();
        await foreach (var application in applications.ListAsync(count: null, offset: null, cancellationToken))
        {
            rows.Add(await RowAsync(applications, application, cancellationToken));
        }

        return [.. rows.OrderByDescending(r => r.IsBuiltIn).ThenByDescending(r => r.CreatedAt).ThenBy(r => r.ClientId, StringComparer.Ordinal)];
    }

    [RequiresPolicy(Policies.ManageUsers)]
    public async Task<Outcome<NewApiClient>> CreateAsync(
        string? displayName,
        IReadOnlyCollection<string>? scopesGranted,
        Actor actor,
        CancellationToken cancellationToken = default)
    {
        if (!await authorizer.AllowedAsync(actor, Policies.ManageUsers, "apiclient.create", "apiclient", null, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        var errors = Validate(displayName, scopesGranted);
        if (errors.Count > 0)
        {
            return Outcome.Invalid(errors);
        }

        var name = displayName!.Trim();
        var granted = FleetScopes.All.Where(scopesGranted!.Contains).ToList();
        var client = new NewApiClient("api-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), NewSecret());
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = client.ClientId,
            ClientSecret = client.ClientSecret,
            ClientType = ClientTypes.Confidential,
            DisplayName = name,
            Permissions =
            {
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.Endpoints.Introspection,
                Permissions.GrantTypes.ClientCredentials,
            },
        };
        descriptor.Permissions.UnionWith(granted.Select(s => Permissions.Prefixes.Scope + s));
        descriptor.Properties[CreatedAtProperty] = JsonSerializer.SerializeToElement(time.GetUtcNow());
        descriptor.Properties[CreatedByProperty] = JsonSerializer.SerializeToElement(actor.Name);

        await using var scope = scopes.CreateAsyncScope();
        // The application store saves through this same scoped context, so the entry commits with the client.
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        audit.Add(db, actor, "apiclient.create", "apiclient", client.ClientId, after: Summary(name, client.ClientId, granted));
        await scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>().CreateAsync(descriptor, cancellationToken);
        logger.LogInformation("API client {ClientId} ({Name}, {Scopes}) created by {Actor}", client.ClientId, name, string.Join(' ', granted), actor.Name);
        return Outcome.Of(client);
    }

    /// <summary>Deletes the client with its tokens and authorizations: tokens already issued stop working at once.</summary>
    [RequiresPolicy(Policies.ManageUsers)]
    public async Task<Outcome> RevokeAsync(string clientId, Actor actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (!await authorizer.AllowedAsync(actor, Policies.ManageUsers, "apiclient.revoke", "apiclient", clientId, cancellationToken))
        {
            return Outcome.Forbidden(ForbiddenMessage);
        }

        if (clientId == OidcSeeder.CliClientId)
        {
            return Outcome.Conflict("The built-in client cannot be revoked: the portal recreates it on every start.");
        }

        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null)
        {
            return Outcome.NotFound($"{clientId} was already revoked, or never existed.");
        }

        var row = await RowAsync(applications, application, cancellationToken);
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        audit.Add(db, actor, "apiclient.revoke", "apiclient", clientId, before: Summary(row.DisplayName, clientId, row.Scopes), after: "deleted, tokens revoked");
        await applications.DeleteAsync(application, cancellationToken);
        logger.LogInformation("API client {ClientId} ({Name}) revoked by {Actor}", clientId, row.DisplayName, actor.Name);
        return Outcome.Done;
    }

    /// <summary>Errors by field ("name", "scopes"); empty when the input is acceptable.</summary>
    public static IReadOnlyDictionary<string, string[]> Validate(string? displayName, IReadOnlyCollection<string>? scopesGranted)
    {
        var errors = new Dictionary<string, string[]>();
        var name = displayName?.Trim() ?? string.Empty;
        if (name.Length is 0 or > MaxNameLength)
        {
            errors["name"] = [$"Enter a name of 1 to {MaxNameLength} characters."];
        }
        else if (name.Any(char.IsControl))
        {
            errors["name"] = ["The name may not contain control characters."];
        }

        if (scopesGranted is null || scopesGranted.Count == 0)
        {
            errors["scopes"] = [$"Choose at least one scope: {string.Join(", ", FleetScopes.All)}."];
        }
        else if (scopesGranted.Where(s => !FleetScopes.IsKnown(s)).ToList() is { Count: > 0 } unknown)
        {
            errors["scopes"] = [$"Unknown scope {string.Join(", ", unknown.Select(s => $"'{s}'"))}; use {string.Join(", ", FleetScopes.All)}."];
        }

        return errors;
    }

    private static async Task<ApiClientRow> RowAsync(IOpenIddictApplicationManager applications, object application, CancellationToken cancellationToken)
    {
        var clientId = await applications.GetClientIdAsync(application, cancellationToken) ?? string.Empty;
        var permissions = await applications.GetPermissionsAsync(application, cancellationToken);
        var properties = await applications.GetPropertiesAsync(application, cancellationToken);
        return new ApiClientRow(
            clientId,
            await applications.GetDisplayNameAsync(application, cancellationToken) ?? clientId,
            [.. FleetScopes.All.Where(s => permissions.Contains(Permissions.Prefixes.Scope + s))],
            await applications.HasClientTypeAsync(application, ClientTypes.Confidential, cancellationToken),
            properties.TryGetValue(CreatedAtProperty, out var at) && at.ValueKind == JsonValueKind.String ? at.GetDateTimeOffset() : null,
            properties.TryGetValue(CreatedByProperty, out var by) && by.ValueKind == JsonValueKind.String ? by.GetString() : null,
            clientId == OidcSeeder.CliClientId);
    }

    /// <summary>What the audit log keeps of a client: never its secret.</summary>
    private static string Summary(string name, string clientId, IEnumerable<string> scopes) =>
        $"{name} ({clientId}), scopes {string.Join(' ', scopes)}";

    // 256 random bits, URL-safe so it can go into a form body or a shell variable unquoted.
    private static string NewSecret() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
