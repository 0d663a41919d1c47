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

    /// <summary>
    /// Fills several fields of a freshly opened dialog until every one holds its value: the dialog moves
    /// focus to its first field a moment after it opens, and on a busy machine that can land in the middle
    /// of typing into another field.
    /// </summary>
    public static async Task FillFormAsync(IPage page, params (string TestId, string Value)[] fields)
    {
        for (var attempt = 1; ; attempt++)
        {
            foreach (var (testId, value) in fields)
            {
                await FillAsync(page, testId, value);
            }

            var values = await Task.WhenAll(fields.Select(f => Input(page, f.TestId).InputValueAsync()));
            if (values.SequenceEqual(fields.Select(f => f.Value)) || attempt == 5)
            {
                return;
            }
        }
    }

    [GeneratedRegex("/account/login")]
    public static partial Regex SignInPage();
}
