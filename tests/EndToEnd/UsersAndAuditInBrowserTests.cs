using System.Text.RegularExpressions;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// An admin creates a user in the dialog (HelpDesk unless another role is chosen; password generated, shown once
/// and copied with its button), finds the creation in the audit log, and the new HelpDesk user sees neither page.
/// </summary>
public sealed partial class UsersAndAuditInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = PageActions.Visible;
    private static readonly LocatorAssertionsToHaveTextOptions Text = new() { Timeout = 30_000 };

    [Fact]
    public async Task Admin_CreatesUserInDialog_SeesItInListAndAuditLog()
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
            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            await PageActions.GotoInteractiveAsync(page, "/admin/users");
            await Assertions.Expect(page.Locator("#users-heading")).ToBeVisibleAsync(Visible);

            // Too short a password and a bad address are shown beside their fields.
            await page.GetByTestId("new-user").ClickAsync();
            await PageActions.FillFormAsync(page, ("user-name", "carol"), ("user-email", "not-an-address"), ("user-password", "short"));
            await page.GetByTestId("create-user").ClickAsync();
            await Assertions.Expect(page.GetByText("Passwords must be at least 12 characters.")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByText("Enter an address like name@example.org, or leave it empty.")).ToBeVisibleAsync(Visible);

            await PageActions.FillAsync(page, "user-email", "carol@example.org");
            await PageActions.FillAsync(page, "user-password", string.Empty);

            // The role was never touched: a new user starts as HelpDesk (read-only), not without a role.
            await Assertions.Expect(PageActions.Input(page, "user-role")).ToHaveValueAsync("HelpDesk");
            await page.GetByTestId("create-user").ClickAsync();
            var generated = page.Locator("input[data-testid=generated-password]").Or(page.GetByTestId("generated-password").Locator("input"));
            await Assertions.Expect(generated).ToHaveValueAsync(PasswordPattern(), new() { Timeout = 30_000 });
            var password = await generated.InputValueAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Copy the generated password" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("copy-password-status")).ToHaveTextAsync("Copied", Text);
            Assert.Equal(password, await page.EvaluateAsync<string>("() => navigator.clipboard.readText()"));
            await page.GetByTestId("dialog-done").ClickAsync();

            var row = page.Locator("tr", new() { Has = page.Locator("[data-testid=user-row][data-user=carol]") });
            await Assertions.Expect(row.GetByTestId("user-row-role")).ToHaveTextAsync("HelpDesk", new() { Timeout = 30_000 });

            // The admin's own row says why it cannot be disabled or lose its role, before anyone tries.
            var adminRow = page.Locator("tr", new() { Has = page.Locator("[data-testid=user-row][data-user=admin]") });
            await adminRow.GetByTestId("user-actions").ClickAsync();
            await Assertions.Expect(page.GetByTestId("disable-user-refused"))
                .ToContainTextAsync("You cannot disable your own account. Ask another admin.",
                    new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("change-role-refused")).ToContainTextAsync("your own account");
            await Assertions.Expect(page.GetByTestId("disable-user")).ToHaveCountAsync(0);
            await page.Keyboard.PressAsync("Escape");
            await Assertions.Expect(adminRow.GetByTestId("user-status")).ToHaveTextAsync("Enabled");
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "users.png"), FullPage = true });

            await page.GetByTestId("nav-audit").ClickAsync();
            await page.WaitForURLAsync(new Regex("/audit$"));   // navigated inside the live circuit, so no prerender to wait out
            await Assertions.Expect(page.Locator("#audit-heading")).ToBeVisibleAsync(Visible);
            await PageActions.FillAsync(page, "audit-search", "carol");
            var rows = page.Locator("tr", new() { Has = page.GetByTestId("audit-row"), HasText = "user.create" });
            await Assertions.Expect(rows.Filter(new() { HasText = "Failed" })).ToContainTextAsync("Passwords must be at least 12 characters.", new() { Timeout = 30_000 });
            await Assertions.Expect(rows.Filter(new() { HasText = "Succeeded" })).ToContainTextAsync("carol: HelpDesk, enabled");
            await Assertions.Expect(page.GetByTestId("export-csv")).ToHaveAttributeAsync("href", new Regex("audit/export\\.csv\\?text=carol$"));
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "audit-log.png"), FullPage = true });

            await page.Context.ClearCookiesAsync();
            await PageActions.SignInAsync(page, "carol", password);
            await Assertions.Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("carol", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("nav-users")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("nav-audit")).ToHaveCountAsync(0);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "users-failure.png"), FullPage = true });
            throw;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){3}$")]
    private static partial Regex PasswordPattern();
}
