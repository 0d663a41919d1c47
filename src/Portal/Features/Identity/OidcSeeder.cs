using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Portal.Features.Identity;

/// <summary>
/// At start (after the database initializer): loads or creates the token certificates, so a bad key
/// file stops the start rather than the first login, and creates or updates the built-in public client
/// <see cref="CliClientId"/>.
/// </summary>
internal sealed class OidcSeeder(IServiceScopeFactory scopes, IOptionsMonitor<OpenIddictServerOptions> server, ILogger<OidcSeeder> logger) : IHostedService
{
    public const string CliClientId = "fleet-cli";

    /// <summary>Any port: OpenIddict matches a native client's port-less loopback URI against every port (RFC 8252 §7.3).</summary>
    public static readonly Uri CliRedirectUri = new("http://127.0.0.1/callback");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _ = server.CurrentValue;

        await using var scope = scopes.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var descriptor = CliDescriptor();
        if (await applications.FindByClientIdAsync(CliClientId, cancellationToken) is { } existing)
        {
            // Every start restores the built-in definition, so an upgrade that changes it applies by itself.
            await applications.UpdateAsync(existing, descriptor, cancellationToken);
        }
        else
        {
            await applications.CreateAsync(descriptor, cancellationToken);
            logger.LogInformation("Created the OpenID Connect client {ClientId}", CliClientId);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static OpenIddictApplicationDescriptor CliDescriptor()
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = CliClientId,
            DisplayName = "Fleet command line (any CLI, authorization code + PKCE)",
            ClientType = ClientTypes.Public,
            ApplicationType = ApplicationTypes.Native,
            ConsentType = ConsentTypes.Implicit,
            RedirectUris = { CliRedirectUri },
            Permissions =
            {
                Permissions.Endpoints.Authorization,
                Permissions.Endpoints.Token,
                Permissions.Endpoints.Revocation,
                Permissions.GrantTypes.AuthorizationCode,
                Permissions.GrantTypes.RefreshToken,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Profile,
                Permissions.Scopes.Roles,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var scope in FleetScopes.All)
        {
            descriptor.Permissions.Add(Permissions.Prefixes.Scope + scope);
        }

        return descriptor;
    }
}
