using System.Net;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Security;

/// <summary>Forms that change state need the antiforgery token; the API takes no cookies at all.</summary>
public sealed class CsrfTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Logout_SignedInWithoutAntiforgeryToken_Refused()
    {
        using var session = await BrowserSession.SignInAsync(Portal);

        using var response = await session.Http.PostAsync(new Uri("/account/logout", UriKind.Relative), new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Login_PostWithoutAntiforgeryToken_Refused()
    {
        using var session = BrowserSession.Anonymous(Portal);

        using var response = await session.Http.PostAsync(new Uri("/account/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "login",
            ["Input.UserName"] = "admin",
            ["Input.Password"] = PortalInstance.AdminPassword,
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Api_SignedInCookieWithoutToken_Unauthorized()
    {
        using var session = await BrowserSession.SignInAsync(Portal);

        using var response = await session.Http.PostAsync(new Uri($"/api/v1/devices/{Guid.NewGuid():N}/approve", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
