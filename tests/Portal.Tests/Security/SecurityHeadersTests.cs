using System.Net;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Security;

/// <summary>Every kind of answer carries the security headers and no Server header.</summary>
public sealed class SecurityHeadersTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Theory]
    [InlineData("/account/login", HttpStatusCode.OK)]                   // a page
    [InlineData("/app.css", HttpStatusCode.OK)]                         // a static file
    [InlineData("/api/v1/me", HttpStatusCode.Unauthorized)]             // the API refusing
    [InlineData("/v1/graph?stream=stable", HttpStatusCode.BadRequest)] // a protocol error
    [InlineData("/no/such/page", HttpStatusCode.Found)]                // the redirect to sign in
    public async Task Get_AnyAnswer_SecurityHeadersAndNoServer(string path, HttpStatusCode expected)
    {
        using var http = ApiTokens.Http(Portal);

        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(expected, response.StatusCode);
        AssertHardened(response);
    }

    [Theory]
    [InlineData("/api/v1/me", HttpStatusCode.OK)]
    [InlineData("/api/v1/devices?limit=lots", HttpStatusCode.BadRequest)] // through the exception handler
    public async Task Get_ApiWithToken_SecurityHeadersAndNoServer(string path, HttpStatusCode expected)
    {
        var token = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");

        using var response = await ApiTokens.GetAsync(Portal, path, token);

        Assert.Equal(expected, response.StatusCode);
        AssertHardened(response);
    }

    private static void AssertHardened(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", Single(response, "X-Content-Type-Options"));
        Assert.Equal("same-origin", Single(response, "Referrer-Policy"));
        Assert.Equal("DENY", Single(response, "X-Frame-Options"));
        var policy = Single(response, "Content-Security-Policy");
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Server"), $"Server: {string.Join(",", response.Headers.Server)}");
    }

    private static string Single(HttpResponseMessage response, string name) =>
        Assert.Single(response.Headers.TryGetValues(name, out var values) ? values : [], v => v.Length > 0);
}
