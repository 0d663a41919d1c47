using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>What every browser test does: sign in through the real form, wait for the live circuit, fill MudBlazor inputs.</summary>
internal static partial class PageActions
{
    public static readonly LocatorAssertionsToBeVisibleOptions Visible = new() { Timeout = 30_000 };

    public static async Task SignInAsync(IPage page, string userName, string password)
    {
        await page.GotoAsync("/account/login");
        await page.FillAsync("#username", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page).Not.ToHaveURLAsync(SignInPage(), new() { Timeout = 30_000 });
    }

    /// <summary>Loads a page and waits for its circuit: until then the prerendered buttons ignore clicks.</summary>
    public static async Task GotoInteractiveAsync(IPage page, string url)
    {
        await page.GotoAsync(url);
        await page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
    }

    /// <summary>MudBlazor puts data-testid on the input or on its wrapper depending on the component; accept either.</summary>
    public static ILocator Input(IPage page, string testId) =>
        page.Locator($"input[data-testid={testId}]").Or(page.GetByTestId(testId).Locator("input"));

    public static Task FillAsync(IPage page, string testId, string value) => Input(page, testId).FillAsync(value);

    [GeneratedRegex("/account/login")]
    public static partial Regex SignInPage();
}
