using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// The API reference is the portal's own page: everything it loads comes from the portal (no font server, no vendor
/// host), it offers no vendor AI button, it lists the API's operations and not the browser's sign-out.
/// </summary>
public sealed class ApiReferenceInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Soon = new() { Timeout = 30_000 };

    [Fact]
    public async Task ApiReference_LoadsOnlyFromThePortal_ListsApiOperationsOnly()
    {
        await using var portal = await PortalInstance.StartAsync();
        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        var elsewhere = new List<string>();
        page.Request += (_, request) =>
        {
            var url = new Uri(request.Url);
            if (url.Scheme is "http" or "https" && url.Authority != portal.BaseAddress.Authority)
            {
                lock (elsewhere)
                {
                    elsewhere.Add(request.Url);
                }
            }
        };

        await page.GotoAsync("/api/reference");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Fleet API" }).First)
            .ToBeVisibleAsync(Soon);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        lock (elsewhere)
        {
            Assert.Empty(elsewhere);
        }

        Assert.Equal(0, await page.GetByText("Ask AI").CountAsync());
        Assert.Equal(0, await page.GetByRole(AriaRole.Region, new() { Name = "Developer Tools" }).CountAsync());
        var document = await page.APIRequest.GetAsync("/openapi/v1.json");
        var text = await document.TextAsync();
        Assert.Contains("/api/v1/me", text, StringComparison.Ordinal);
        Assert.DoesNotContain("/account/logout", text, StringComparison.Ordinal);
    }
}
