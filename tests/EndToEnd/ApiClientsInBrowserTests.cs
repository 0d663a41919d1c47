using System.Net;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// An admin creates an API client in the browser, copies the secret shown once with its copy button, uses it, and
/// revokes the client.
/// </summary>
public sealed class ApiClientsInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Soon = new() { Timeout = 30_000 };

    [Fact]
    public async Task Admin_CreatesClientUsesSecretThenRevokes_TokenStopsWorking()
    {
        await using var portal = await PortalInstance.StartAsync();
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            Permissions = ["clipboard-read", "clipboard-write"],
        });
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync("/");
            await page.FillAsync("#username", "admin");
            await page.FillAsync("#password", PortalInstance.AdminPassword);
            await page.ClickAsync("button[type=submit]");
            // The Admin sees the nav link; going by URL avoids a click lost while the overview is still loading.
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "API clients" })).ToBeVisibleAsync(Soon);
            await page.GotoAsync("/admin/api-clients");
            await Assertions.Expect(page.Locator("#api-clients-heading")).ToBeVisibleAsync(Soon);

            // No name: refused with a message, nothing created. The first clicks may land before the
            // prerendered page has its interactive circuit, so click until the answer shows.
            var nameError = page.GetByText("Enter a name of 1 to 100 characters.");
            for (var attempt = 0; attempt < 30 && !await nameError.IsVisibleAsync(); attempt++)
            {
                await page.GetByTestId("create-client").ClickAsync();
                await page.WaitForTimeoutAsync(500);
            }

            await Assertions.Expect(nameError).ToBeVisibleAsync(Soon);

            await Field(page, "client-name").FillAsync("inventory sync");
            await page.GetByTestId("scope-fleet.write").ClickAsync();
            await page.GetByTestId("create-client").ClickAsync();
            var secretField = Field(page, "new-client-secret");
            await Assertions.Expect(secretField).ToBeVisibleAsync(Soon);
            var clientId = await Field(page, "new-client-id").InputValueAsync();
            var secret = await secretField.InputValueAsync();
            // The copy button, found by its accessible name, puts the secret on the clipboard and says so.
            await page.GetByRole(AriaRole.Button, new() { Name = "Copy the client secret" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("copy-client-secret-status"))
                .ToHaveTextAsync("Copied", new() { Timeout = 30_000 });
            Assert.Equal(secret, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "api-client-secret.png"), FullPage = true });
            await page.GetByTestId("secret-copied").ClickAsync();

            var token = await ApiTokens.RequestTokenAsync(portal, clientId, secret);
            Assert.Equal(["Operator"], (await ApiTokens.MeAsync(portal, token)).Roles);

            var row = page.Locator("tr", new() { HasText = clientId });
            await Assertions.Expect(row).ToContainTextAsync("fleet.write");
            await Assertions.Expect(row).ToContainTextAsync("fleet.read");
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "api-clients.png"), FullPage = true });
            await row.GetByTestId("revoke").ClickAsync();
            await page.Locator(".mud-dialog").GetByRole(AriaRole.Button, new() { Name = "Revoke" }).ClickAsync();
            await Assertions.Expect(row).ToHaveCountAsync(0, new() { Timeout = 30_000 });

            using var after = await ApiTokens.GetAsync(portal, "/api/v1/me", token);
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "api-clients-failure.png"), FullPage = true });
            throw;
        }
    }

    // MudBlazor puts data-testid on the input or on its wrapper depending on the component.
    private static ILocator Field(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}], [data-testid={testId}] input").First;
}
