using System.Net;
using System.Text;
using System.Text.Json;
using Fleet.Portal.Features.ApiClients;
using Fleet.Portal.Features.Identity;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Identity;

/// <summary>Scripts' tokens over real HTTP: discovery, client credentials, refusals, revocation, and roles on the API.</summary>
public sealed class ClientCredentialsTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Discovery_Document_ListsEndpointsFlowsAndScopes()
    {
        using var http = ApiTokens.Http(Portal);

        var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/.well-known/openid-configuration", UriKind.Relative))).RootElement;

        var root = Portal.BaseAddress.AbsoluteUri.TrimEnd('/');
        Assert.Equal(root + "/", document.GetProperty("issuer").GetString());
        Assert.Equal(root + "/connect/authorize", document.GetProperty("authorization_endpoint").GetString());
        Assert.Equal(root + "/connect/token", document.GetProperty("token_endpoint").GetString());
        Assert.Equal(root + "/connect/revoke", document.GetProperty("revocation_endpoint").GetString());
        Assert.Equal(root + "/connect/introspect", document.GetProperty("introspection_endpoint").GetString());
        Assert.True(document.TryGetProperty("jwks_uri", out _));
        var grants = Strings(document, "grant_types_supported");
        Assert.Equal(["authorization_code", "client_credentials", "refresh_token"], grants.Order());
        Assert.Superset(new HashSet<string> { "openid", "profile", "roles", "offline_access", "fleet.read", "fleet.write", "fleet.admin" }, Strings(document, "scopes_supported").ToHashSet());
        Assert.Equal(["S256"], Strings(document, "code_challenge_methods_supported"));
    }

    [Theory]
    [InlineData(FleetScopes.Read, Roles.HelpDesk)]
    [InlineData(FleetScopes.Write, Roles.Operator)]
    [InlineData(FleetScopes.Admin, Roles.Admin)]
    public async Task ClientCredentials_ClientCreatedByService_TokenCarriesClientIdAndRoleOfScope(string scope, string role)
    {
        var client = await ApiTokens.CreateClientAsync(Portal, scope);

        var token = await ApiTokens.RequestTokenAsync(Portal, client.ClientId, client.ClientSecret, scope);
        var me = await ApiTokens.MeAsync(Portal, token);

        Assert.Equal(client.ClientId, me.Name);
        Assert.Equal([role], me.Roles);
        Assert.Equal([scope], me.Scopes);
    }

    [Fact]
    public async Task ClientCredentials_SeveralScopesNoneRequested_AllGrantedHighestRoleWins()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read, FleetScopes.Write);

        var me = await ApiTokens.MeAsync(Portal, await ApiTokens.RequestTokenAsync(Portal, client.ClientId, client.ClientSecret));

        Assert.Equal([Roles.Operator], me.Roles);
        Assert.Equal([FleetScopes.Read, FleetScopes.Write], me.Scopes.Order());
    }

    [Fact]
    public async Task ClientCredentials_WrongSecret_InvalidClient()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read);

        var (status, error) = await TokenErrorAsync(client.ClientId, client.ClientSecret + "x", FleetScopes.Read);

        // OpenIddict answers failed client authentication with 401, which RFC 6749 §5.2 allows (400 is the other choice).
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", error);
    }

    [Fact]
    public async Task ClientCredentials_UnknownClientOrWrongSecret_SameAnswer()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read);

        var wrongSecret = await TokenAnswerAsync(client.ClientId, client.ClientSecret + "x");
        var unknownClient = await TokenAnswerAsync($"api-{Guid.NewGuid():N}"[..20], client.ClientSecret);

        // Otherwise the token endpoint would tell which client ids exist.
        Assert.Equal(wrongSecret, unknownClient);
    }

    [Fact]
    public async Task ClientCredentials_ScopeNotGrantedToClient_Refused()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read);

        var (status, _) = await TokenErrorAsync(client.ClientId, client.ClientSecret, FleetScopes.Admin);

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task RevokeClient_ExistingTokenRejectedAndNoNewToken()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read);
        var token = await ApiTokens.RequestTokenAsync(Portal, client.ClientId, client.ClientSecret, FleetScopes.Read);
        await ApiTokens.MeAsync(Portal, token);

        var clients = Portal.Services.GetRequiredService<ApiClientService>();
        var revoked = await clients.RevokeAsync(client.ClientId, TestActors.Admin);
        Assert.Equal(OutcomeKind.Done, revoked.Kind);

        using var me = await ApiTokens.GetAsync(Portal, "/api/v1/me", token);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
        var (status, error) = await TokenErrorAsync(client.ClientId, client.ClientSecret, FleetScopes.Read);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", error);
    }

    [Fact]
    public async Task RevocationEndpoint_RevokedAccessToken_Unauthorized()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read);
        var token = await ApiTokens.RequestTokenAsync(Portal, client.ClientId, client.ClientSecret, FleetScopes.Read);
        await ApiTokens.MeAsync(Portal, token);

        using var http = ApiTokens.Http(Portal);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token,
            ["token_type_hint"] = "access_token",
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
        });
        using var revoke = await http.PostAsync(new Uri("/connect/revoke", UriKind.Relative), form);
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);

        using var me = await ApiTokens.GetAsync(Portal, "/api/v1/me", token);
        Assert.Equal(HttpStatusCode.Unauthorized, me.StatusCode);
    }

    [Theory]
    [InlineData("/api/v1/me")]
    [InlineData("/api/v1/no-such-endpoint")]
    public async Task Api_NoToken_UnauthorizedNotLoginRedirect(string path)
    {
        using var response = await ApiTokens.GetAsync(Portal, path, token: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Api_CookieOnly_Unauthorized()
    {
        // A signed-in browser must not be able to call the API with its cookie (cross-site requests).
        using var browser = await BrowserSession.SignInAsync(Portal);

        using var response = await browser.Http.GetAsync(new Uri("/api/v1/me", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_SignatureAltered_Unauthorized()
    {
        var token = await ApiTokens.GetTokenAsync(Portal, Roles.HelpDesk);
        var parts = token.Split('.');
        var signature = parts[2].ToCharArray();
        signature[10] = signature[10] == 'A' ? 'B' : 'A';

        using var response = await ApiTokens.GetAsync(Portal, "/api/v1/me", $"{parts[0]}.{parts[1]}.{new string(signature)}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_PayloadRaisedToAdminKeepingSignature_Unauthorized()
    {
        var token = await ApiTokens.GetTokenAsync(Portal, Roles.HelpDesk);
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlDecode(parts[1])).Replace("\"HelpDesk\"", "\"Admin\"", StringComparison.Ordinal);
        Assert.Contains("\"Admin\"", payload, StringComparison.Ordinal);
        var forged = $"{parts[0]}.{Base64UrlEncode(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";

        using var response = await ApiTokens.GetAsync(Portal, "/api/v1/api-clients", forged);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Api_HelpDeskTokenOnManageUsersEndpoint_Forbidden()
    {
        var token = await ApiTokens.GetTokenAsync(Portal, Roles.HelpDesk);

        using var response = await ApiTokens.GetAsync(Portal, "/api/v1/api-clients", token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Api_AdminTokenOnManageUsersEndpoint_ListsClientsWithoutSecrets()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Read);
        var token = await ApiTokens.GetTokenAsync(Portal, Roles.Admin);

        using var response = await ApiTokens.GetAsync(Portal, "/api/v1/api-clients", token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains(client.ClientId, body, StringComparison.Ordinal);
        Assert.Contains(OidcSeeder.CliClientId, body, StringComparison.Ordinal);
        Assert.DoesNotContain(client.ClientSecret, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Introspection_OwnToken_ActiveForThisClient()
    {
        var client = await ApiTokens.CreateClientAsync(Portal, FleetScopes.Write);
        var token = await ApiTokens.RequestTokenAsync(Portal, client.ClientId, client.ClientSecret, FleetScopes.Write);

        using var http = ApiTokens.Http(Portal);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token,
            ["client_id"] = client.ClientId,
            ["client_secret"] = client.ClientSecret,
        });
        using var response = await http.PostAsync(new Uri("/connect/introspect", UriKind.Relative), form);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        // Scopes and roles are left out: OpenIddict shows them only to a client listed as the token's audience.
        Assert.True(answer.GetProperty("active").GetBoolean());
        Assert.Equal(client.ClientId, answer.GetProperty("client_id").GetString());
    }

    private async Task<(HttpStatusCode Status, string? Error)> TokenErrorAsync(string clientId, string secret, string scope)
    {
        using var response = await ApiTokens.PostTokenRequestAsync(Portal, new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = scope,
        });
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(body.TryGetProperty("access_token", out _));
        return (response.StatusCode, body.TryGetProperty("error", out var error) ? error.GetString() : null);
    }

    /// <summary>
    /// Status and body of a refused token request, the error_uri left out (it names OpenIddict's message id).
    /// </summary>
    private async Task<(HttpStatusCode Status, string Body)> TokenAnswerAsync(string clientId, string secret)
    {
        using var response = await ApiTokens.PostTokenRequestAsync(Portal, new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = FleetScopes.Read,
        });
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string[] Strings(JsonElement document, string property) =>
        [.. document.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];

    private static byte[] Base64UrlDecode(string value) => Convert.FromBase64String(
        value.Replace('-', '+').Replace('_', '/').PadRight(value.Length + ((4 - (value.Length % 4)) % 4), '='));

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
