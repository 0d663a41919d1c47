using Fleet.Portal.Data;
using Fleet.Portal.Features.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using OpenIddict.Server;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Fleet.Portal.Features.Identity;

internal static class IdentityServiceCollectionExtensions
{
    public const string AuthorizePath = "/connect/authorize";
    public const string TokenPath = "/connect/token";
    public const string RevocationPath = "/connect/revoke";
    public const string IntrospectionPath = "/connect/introspect";

    /// <summary>
    /// The portal as an OpenID Connect provider (OpenIddict, see docs/decisions/0001): authorization code +
    /// PKCE for people, client credentials for scripts, refresh tokens; and bearer-token validation for
    /// the REST API under <see cref="ApiAuthentication.Scheme"/>. Users come from ASP.NET Core Identity;
    /// the cookie stays the default scheme for pages.
    /// </summary>
    public static WebApplicationBuilder AddOidcProvider(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdentityProviderOptions>().BindConfiguration(IdentityProviderOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => o.HasValidIssuer(), "Fleet:Identity:Issuer must be an absolute http(s) URL without a query, or empty")
            .ValidateOnStart();
        builder.Services.AddSingleton<TokenCertificates>();
        builder.Services.AddSingleton<IConfigureOptions<OpenIddictServerOptions>, ConfigureTokenServer>();

        builder.Services.AddOpenIddict()
            .AddCore(o => o.UseEntityFrameworkCore().UseDbContext<FleetDbContext>())
            .AddServer(o =>
            {
                o.SetAuthorizationEndpointUris(AuthorizePath)
                    .SetTokenEndpointUris(TokenPath)
                    .SetRevocationEndpointUris(RevocationPath)
                    .SetIntrospectionEndpointUris(IntrospectionPath);
                o.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange();

                // S256 only: "plain" offers no protection against a stolen code (OAuth 2.1 drops it).
                o.Configure(options => options.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));
                o.AllowClientCredentialsFlow();
                o.AllowRefreshTokenFlow();
                o.AddEventHandler<OpenIddictServerEvents.ApplyTokenResponseContext>(
                    h => h.UseInlineHandler(c => OidcErrors.HideWhichClientFailed(c.Response)));
                o.AddEventHandler<OpenIddictServerEvents.ApplyIntrospectionResponseContext>(
                    h => h.UseInlineHandler(c => OidcErrors.HideWhichClientFailed(c.Response)));
                o.AddEventHandler<OpenIddictServerEvents.ApplyRevocationResponseContext>(
                    h => h.UseInlineHandler(c => OidcErrors.HideWhichClientFailed(c.Response)));
                o.RegisterScopes([Scopes.OpenId, Scopes.Profile, Scopes.Roles, Scopes.OfflineAccess, .. FleetScopes.All]);

                // Plain signed JWTs, so a curl user can read what a token says; they are still verified
                // by signature and looked up in the token table on every call.
                o.DisableAccessTokenEncryption();
                o.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    // The portal serves plain HTTP and leaves TLS to a reverse proxy (docs/operations.md),
                    // whose forwarded scheme it does not read yet; OpenIddict would otherwise refuse every request.
                    .DisableTransportSecurityRequirement();
            })
            .AddValidation(o =>
            {
                o.UseLocalServer();

                // After UseLocalServer, which would otherwise switch it off for JWT access tokens: each API
                // call checks the token row, so revoking a token or deleting its client ends it at once.
                o.EnableTokenEntryValidation();
                o.UseAspNetCore();
            });

        builder.Services.AddHostedService<OidcSeeder>();
        builder.Services.AddHostedService<TokenPruner>();
        return builder;
    }

    /// <summary>The passthrough endpoints; the rest is answered by OpenIddict itself. (<c>GET /api/v1/me</c> is mapped with the API.)</summary>
    public static void MapOidcEndpoints(this WebApplication app)
    {
        // Anonymous because the fallback policy would send API clients to the login page; OpenIddict has
        // already authenticated the client, and the authorize endpoint checks the cookie itself.
        app.MapMethods(AuthorizePath, [HttpMethods.Get, HttpMethods.Post], AuthorizeEndpoint.HandleAsync)
            .AllowAnonymous()
            .ExcludeFromDescription();
        app.MapPost(TokenPath, TokenEndpoint.HandleAsync)
            .AllowAnonymous()
            .ExcludeFromDescription();

    }
}
