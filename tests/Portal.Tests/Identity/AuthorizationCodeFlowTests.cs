using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fleet.Portal.Features.Identity;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace Fleet.Portal.Tests.Identity;

/// <summary>
/// What a CLI does with the built-in public client <c>fleet-cli</c>: opens /connect/authorize in a browser
/// (here: an HttpClient with cookies), the user signs in, the code comes back to a loopback port of the
/// CLI's choosing, and the CLI redeems it with its PKCE verifier.
/// </summary>
public sealed class AuthorizationCodeFlowTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task CodeFlow_SignInThenRedeemWithVerifier_TokenCallsApiAsTheUser()
    {
        using var browser = BrowserSession.Anonymous(Portal);
        var pkce = Pkce.Create();
        var redirectUri = $"http://127.0.0.1:{CliPort()}/callback";

        // Not signed in: off to the login page, which comes back to the same authorize request.
        using var first = await browser.Http.GetAsync(AuthorizeUrl(redirectUri, pkce, "openid profile roles offline_access fleet.admin"));
        Assert.Equal(HttpStatusCode.Found, first.StatusCode);
        var login = first.Headers.Location!;
        Assert.StartsWith("/account/login?", PathOf(login), StringComparison.Ordinal);

        var back = await browser.SubmitLoginAsync(login, "admin", PortalInstance.AdminPassword);
        Assert.NotNull(back);
        Assert.StartsWith("/connect/authorize?", PathOf(back), StringComparison.Ordinal);

        var callback = await RedirectAsync(browser, back);
        Assert.StartsWith(redirectUri + "?", callback.AbsoluteUri, StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(callback.Query);
        Assert.Equal("xyz", query["state"].ToString());

        var tokens = await RedeemAsync(query["code"]!, redirectUri, pkce.Verifier);
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        var me = await ApiTokens.MeAsync(Portal, tokens.Body.GetProperty("access_token").GetString()!);
        Assert.Equal("admin", me.Name);
        Assert.Equal([Roles.Admin], me.Roles);
        Assert.True(tokens.Body.TryGetProperty("id_token", out _));

        // offline_access: the refresh token gives a new, working access token.
        var refreshed = await TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens.Body.GetProperty("refresh_token").GetString()!,
            ["client_id"] = OidcSeeder.CliClientId,
        });
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        Assert.Equal("admin", (await ApiTokens.MeAsync(Portal, refreshed.Body.GetProperty("access_token").GetString()!)).Name);
    }

    [Fact]
    public async Task CodeFlow_AdminAsksOnlyForRead_TokenIsReadOnly()
    {
        using var browser = await BrowserSession.SignInAsync(Portal);
        var pkce = Pkce.Create();
        var redirectUri = $"http://127.0.0.1:{CliPort()}/callback";

        var callback = await RedirectAsync(browser, AuthorizeUrl(redirectUri, pkce, "openid fleet.read"));
        var tokens = await RedeemAsync(QueryHelpers.ParseQuery(callback.Query)["code"]!, redirectUri, pkce.Verifier);
        var token = tokens.Body.GetProperty("access_token").GetString()!;

        Assert.Equal([Roles.HelpDesk], (await ApiTokens.MeAsync(Portal, token)).Roles);
        using var admin = await ApiTokens.GetAsync(Portal, "/api/v1/api-clients", token);
        Assert.Equal(HttpStatusCode.Forbidden, admin.StatusCode);
    }

    [Fact]
    public async Task CodeFlow_WrongVerifier_InvalidGrant()
    {
        using var browser = await BrowserSession.SignInAsync(Portal);
        var pkce = Pkce.Create();
        var redirectUri = $"http://127.0.0.1:{CliPort()}/callback";
        var callback = await RedirectAsync(browser, AuthorizeUrl(redirectUri, pkce, "openid fleet.read"));

        var tokens = await RedeemAsync(QueryHelpers.ParseQuery(callback.Query)["code"]!, redirectUri, Pkce.Create().Verifier);

        Assert.Equal(HttpStatusCode.BadRequest, tokens.Status);
        Assert.Equal("invalid_grant", tokens.Body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Authorize_WithoutCodeChallenge_Refused()
    {
        using var browser = await BrowserSession.SignInAsync(Portal);
        var url = $"/connect/authorize?client_id={OidcSeeder.CliClientId}&response_type=code&scope=openid"
            + $"&redirect_uri={Uri.EscapeDataString($"http://127.0.0.1:{CliPort()}/callback")}";

        using var response = await browser.Http.GetAsync(new Uri(url, UriKind.Relative));

        // OpenIddict answers an invalid request that it cannot safely redirect with 400 and an error page.
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Authorize_RedirectUriNotRegistered_Refused()
    {
        using var browser = await BrowserSession.SignInAsync(Portal);

        using var response = await browser.Http.GetAsync(AuthorizeUrl("http://evil.example/callback", Pkce.Create(), "openid"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Authorize_PromptNoneWhileSignedOut_LoginRequiredToTheClient()
    {
        using var browser = BrowserSession.Anonymous(Portal);
        var redirectUri = $"http://127.0.0.1:{CliPort()}/callback";

        var callback = await RedirectAsync(browser, new Uri(AuthorizeUrl(redirectUri, Pkce.Create(), "openid") + "&prompt=none", UriKind.Relative));

        Assert.Equal("login_required", QueryHelpers.ParseQuery(callback.Query)["error"].ToString());
    }

    private static string PathOf(Uri uri) => uri.IsAbsoluteUri ? uri.PathAndQuery : uri.OriginalString;

    /// <summary>
    /// The loopback port a CLI would listen on for its callback (RFC 8252: any port). Nothing listens here: the
    /// tests read the redirect, so any port will do, and a different one per test shows none is special.
    /// </summary>
    private static int CliPort() => Random.Shared.Next(1024, 65536);

    private static Uri AuthorizeUrl(string redirectUri, Pkce pkce, string scope) => new(
        $"/connect/authorize?client_id={OidcSeeder.CliClientId}&response_type=code&state=xyz"
        + $"&redirect_uri={Uri.EscapeDataString(redirectUri)}&scope={Uri.EscapeDataString(scope)}"
        + $"&code_challenge={pkce.Challenge}&code_challenge_method=S256",
        UriKind.Relative);

    /// <summary>GETs <paramref name="url"/> and returns where it redirects (the CLI's loopback callback); nothing listens there.</summary>
    private static async Task<Uri> RedirectAsync(BrowserSession browser, Uri url)
    {
        using var response = await browser.Http.GetAsync(url);
        Assert.Equal(HttpStatusCode.Found, response.StatusCode);
        return response.Headers.Location!;
    }

    private Task<(HttpStatusCode Status, JsonElement Body)> RedeemAsync(string code, string redirectUri, string verifier) =>
        TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["client_id"] = OidcSeeder.CliClientId,
            ["code_verifier"] = verifier,
        });

    private async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(Dictionary<string, string> form)
    {
        using var response = await ApiTokens.PostTokenRequestAsync(Portal, form);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement);
    }

    private sealed record Pkce(string Verifier, string Challenge)
    {
        public static Pkce Create()
        {
            var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
            return new Pkce(verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
        }

        private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
