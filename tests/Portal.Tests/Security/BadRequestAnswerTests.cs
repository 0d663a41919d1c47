using System.Net;
using System.Text.Json;
using Fleet.Portal.Tests.Audit;
using Fleet.Portal.Tests.Infrastructure;

namespace Fleet.Portal.Tests.Security;

/// <summary>
/// A request the framework cannot bind answers 400 ProblemDetails naming what was wrong, without a
/// stack trace, although the test portal runs in Development (where the exception page would show one).
/// </summary>
public sealed class BadRequestAnswerTests(SessionCheckedPortalFixture fixture)
    : IClassFixture<SessionCheckedPortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task ApiQuery_NotANumber_ProblemDetailsWithoutStackTrace()
    {
        var token = await ApiTokens.GetTokenAsync(Portal, "HelpDesk");

        using var response = await ApiTokens.GetAsync(Portal, "/api/v1/devices?limit=lots", token);

        await AssertProblemWithoutStackTraceAsync(response, "limit");
    }

    [Fact]
    public async Task CsvExport_UnknownEnumValueFromABrowser_ProblemDetailsWithoutStackTrace()
    {
        using var client = await CookieClient.SignInAsync(
            Portal.BaseAddress, "op", SessionCheckedPortalFixture.Password);
        using var request = new HttpRequestMessage(
            HttpMethod.Get, new Uri("/audit/export.csv?source=Telepathy", UriKind.Relative));
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");

        using var response = await client.SendAsync(request);

        await AssertProblemWithoutStackTraceAsync(response, "Telepathy");
    }

    private async Task AssertProblemWithoutStackTraceAsync(HttpResponseMessage response, string named)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement;
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.Contains(named, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
        Assert.DoesNotContain(".cs:line", body, StringComparison.Ordinal);
        Assert.DoesNotContain(Portal.Logs.Entries, e => e.Level >= LogLevel.Error);
    }
}
