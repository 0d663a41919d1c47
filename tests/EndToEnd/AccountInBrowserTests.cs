using System.Globalization;
using System.Text.RegularExpressions;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// A user's own account page: own password, own time zone (and the times it changes), TOTP two-factor set up from
/// the shown key as an app would, sign-in with the code or a recovery code, and two-factor required for a role.
/// </summary>
public sealed partial class AccountInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = PageActions.Visible;

    private static readonly LocatorAssertionsToHaveTextOptions Text = new() { Timeout = 30_000 };

    private static readonly LocatorAssertionsToContainTextOptions Contains = new() { Timeout = 30_000 };

    [Fact]
    public async Task HelpDesk_ChangesOwnPasswordAndTimeZone_TimesFollowAndNothingElseOpens()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "help-desk-password-1";
        const string changed = "help-desk-password-2";
        await CreateAsync(portal, "hana", "HelpDesk", password);
        var page = await NewPageAsync(portal, timeZone: "UTC");
        try
        {
            await PageActions.SignInAsync(page, "hana", password);
            await Assertions.Expect(page.GetByTestId("signed-in-user")).ToHaveAttributeAsync("href", "account/manage");
            await PageActions.GotoInteractiveAsync(page, "/account/manage");
            await Assertions.Expect(page.GetByTestId("shown-zone")).ToContainTextAsync("UTC", Contains);

            // The zone picked from the searchable list; charts then read as the clock in Kolkata, not the browser's.
            await PageActions.FillAsync(page, "time-zone", "kolkata");
            await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Asia/Kolkata" }).ClickAsync();
            await page.GetByTestId("save-time-zone").ClickAsync();
            await Assertions.Expect(page.GetByTestId("shown-zone")).ToContainTextAsync("Asia/Kolkata (now UTC+05:30)",
                new() { Timeout = 30_000 });
            await PageActions.GotoInteractiveAsync(page, "/");
            var tick = page.GetByTestId("chart-tick").First;
            await Assertions.Expect(tick).ToBeVisibleAsync(Visible);
            var at = DateTimeOffset.FromUnixTimeMilliseconds(
                long.Parse(await tick.GetAttributeAsync("data-at") ?? "", CultureInfo.InvariantCulture));
            var kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
            var label = (await tick.TextContentAsync())?.Trim();
            Assert.Equal(TimeZoneInfo.ConvertTime(at, kolkata).ToString("HH:mm", CultureInfo.InvariantCulture), label);
            Assert.NotEqual(at.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture), label);

            // Its own password: the current one checked, then every session ends and the new one signs in.
            await PageActions.GotoInteractiveAsync(page, "/account/manage");
            await PageActions.FillAsync(page, "current-password", password);
            await PageActions.FillAsync(page, "new-password", changed);
            await PageActions.FillAsync(page, "repeat-password", changed);
            await page.GetByTestId("change-password").ClickAsync();
            await Assertions.Expect(page.GetByTestId("password-changed")).ToBeVisibleAsync(Visible);
            await page.GetByTestId("sign-in-again").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(PageActions.SignInPage(), new() { Timeout = 30_000 });
            await page.FillAsync("#username", "hana");
            await page.FillAsync("#password", password);
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.Locator(".account-error")).ToBeVisibleAsync(Visible);
            await PageActions.SignInAsync(page, "hana", changed);

            // Still HelpDesk: nothing else opens.
            await PageActions.GotoInteractiveAsync(page, "/");
            await Assertions.Expect(page.GetByTestId("nav-users")).ToHaveCountAsync(0);
            await page.GotoAsync("/admin/users");
            await Assertions.Expect(page.GetByTestId("access-denied")).ToContainTextAsync("HelpDesk", Contains);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task TwoFactor_SetUpFromShownKey_CodeSignsInWrongCodeRefusedRecoveryCodeOnce()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "operator-password-1";
        await CreateAsync(portal, "otto", "Operator", password);
        var page = await NewPageAsync(portal);
        try
        {
            await PageActions.SignInAsync(page, "otto", password);
            var (key, codes) = await SetUpTwoFactorAsync(page);

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await PasswordAsync(page, "otto", password);
            await CodeAsync(page, Totp.WrongCode(key, DateTimeOffset.UtcNow));
            await Assertions.Expect(page.GetByTestId("sign-in-code-error")).ToBeVisibleAsync(Visible);
            await CodeAsync(page, Totp.Code(key, DateTimeOffset.UtcNow));
            await Assertions.Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("otto", Text);

            // A recovery code signs in once.
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await PasswordAsync(page, "otto", password);
            await CodeAsync(page, codes[0]);
            await Assertions.Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("otto", Text);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await PasswordAsync(page, "otto", password);
            await CodeAsync(page, codes[0]);
            await Assertions.Expect(page.GetByTestId("sign-in-code-error")).ToBeVisibleAsync(Visible);
            await CodeAsync(page, codes[1]);
            await Assertions.Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync("otto", Text);
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task RequiredRole_WithoutTwoFactor_SentToSetUpUntilDoneAndAdminCanReset()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Accounts:TwoFactorRequiredRoles:0"] = "Operator",
        });
        const string password = "operator-password-1";
        await CreateAsync(portal, "olga", "Operator", password);
        await CreateAsync(portal, "ada", "Admin", "admin-password-1");
        var page = await NewPageAsync(portal);
        try
        {
            // Straight from the password to the set-up; the console is closed, by address and by menu.
            await PageActions.SignInAsync(page, "olga", password);
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/manage"), new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("two-factor-required")).ToBeVisibleAsync(Visible);
            await page.GotoAsync("/devices");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/manage"), new() { Timeout = 30_000 });
            await PageActions.GotoInteractiveAsync(page, "/account/manage");
            await page.Locator("a[href='devices']").ClickAsync();
            await Assertions.Expect(page.GetByTestId("two-factor-required")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByTestId("device-grid")).ToHaveCountAsync(0);

            var (key, _) = await SetUpTwoFactorAsync(page);
            await page.GetByTestId("sign-in-again").ClickAsync();
            await PasswordAsync(page, "olga", password);
            await CodeAsync(page, Totp.Code(key, DateTimeOffset.UtcNow));
            await PageActions.GotoInteractiveAsync(page, "/devices");
            await Assertions.Expect(page.Locator("#devices-heading")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByTestId("two-factor-required")).ToHaveCountAsync(0);

            // The phone is lost: an admin resets two-factor (after a confirmation) and the set-up comes again.
            var admin = await NewPageAsync(portal);
            await PageActions.SignInAsync(admin, "ada", "admin-password-1");
            await PageActions.GotoInteractiveAsync(admin, "/admin/users");
            var row = admin.Locator("tr", new() { Has = admin.Locator("[data-testid=user-row][data-user=olga]") });
            await Assertions.Expect(row.GetByTestId("user-two-factor")).ToBeVisibleAsync(Visible);
            await row.GetByTestId("user-actions").ClickAsync();
            await admin.GetByTestId("reset-two-factor").ClickAsync();
            await Assertions.Expect(admin.GetByTestId("confirm-what")).ToContainTextAsync("authenticator");
            await admin.GetByTestId("confirm-yes").ClickAsync();
            await Assertions.Expect(row.GetByTestId("user-two-factor")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await admin.Context.CloseAsync();

            await page.Context.ClearCookiesAsync();
            await PageActions.SignInAsync(page, "olga", password);
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/manage"), new() { Timeout = 30_000 });
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    /// <summary>Sets two-factor up as a person with an app does: the key read off the page, the code typed back.
    /// </summary>
    private static async Task<(string Key, string[] RecoveryCodes)> SetUpTwoFactorAsync(IPage page)
    {
        await PageActions.GotoInteractiveAsync(page, "/account/manage");
        await page.GetByTestId("set-up-two-factor").ClickAsync();
        await Assertions.Expect(page.GetByTestId("authenticator-qr").Locator("svg")).ToBeVisibleAsync(Visible);
        var key = (await page.GetByTestId("authenticator-key").TextContentAsync())!.Trim();
        Assert.Matches(GroupedKey(), key);
        await PageActions.FillAsync(page, "authenticator-code", Totp.Code(key, DateTimeOffset.UtcNow));
        await page.GetByTestId("enable-two-factor").ClickAsync();
        await Assertions.Expect(page.GetByTestId("recovery-codes")).ToBeVisibleAsync(Visible);
        var codes = (await page.GetByTestId("recovery-codes").TextContentAsync())!
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(10, codes.Length);
        return (key, codes);
    }

    private static async Task PasswordAsync(IPage page, string userName, string password)
    {
        await Assertions.Expect(page).ToHaveURLAsync(PageActions.SignInPage(), new() { Timeout = 30_000 });
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/login-code"), new() { Timeout = 30_000 });
    }

    private static async Task CodeAsync(IPage page, string code)
    {
        await page.FillAsync("#code", code);
        await page.ClickAsync("button[type=submit]");
    }

    private async Task<IPage> NewPageAsync(PortalInstance portal, string? timeZone = null)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(), TimezoneId = timeZone,
        });
        return await context.NewPageAsync();
    }

    private static async Task CreateAsync(PortalInstance portal, string name, string role, string password)
    {
        var created = await portal.Users.CreateAsync(new NewUser(name, null, role, password), TestActors.Admin);
        Assert.True(created.Succeeded, string.Join("; ", created.Errors));
    }

    [GeneratedRegex("^[a-z2-7]{4}( [a-z2-7]{1,4})+$")]
    private static partial Regex GroupedKey();
}
