using Deque.AxeCore.Playwright;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// Every page of the portal, for each role (Admin in the OS's light and dark scheme, Operator, HelpDesk) at 1366 px
/// and 390 px: axe-core finds no critical or serious violation, the page has one main landmark and a level-one
/// heading, nothing scrolls sideways at 390 px, the browser logs no error and the theme follows the OS scheme.
/// Each case walks all pages in one signed-in context and reports every failure together.
/// </summary>
public sealed class AccessibilityInBrowserTests(BrowserFixture browser, AccessibilityPortal fleet)
    : IClassFixture<BrowserFixture>, IClassFixture<AccessibilityPortal>
{
    private static readonly string[] Blocking = ["critical", "serious"];

    public static TheoryData<string, bool, int> Cases => new()
    {
        { "admin", false, 1366 }, { "admin", true, 1366 }, { "opal", false, 1366 }, { "hank", false, 1366 },
        { "admin", false, 390 }, { "admin", true, 390 }, { "opal", false, 390 }, { "hank", false, 390 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task EveryPage_AsRoleInSchemeAtWidth_PassesAxeAndFits(string user, bool dark, int width)
    {
        var label = $"{user} {(dark ? "dark" : "light")} {width}px";
        await using var context = await NewContextAsync(dark, width);
        var page = await context.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                console.Add(message.Text);
            }
        };
        page.PageError += (_, error) => console.Add(error);

        var failures = new List<string>();
        var summary = new List<string>();
        await CheckAsync(page, "/account/login", dark, width, console, failures, summary);
        await PageActions.SignInAsync(page, user, user == "admin" ? PortalInstance.AdminPassword
            : AccessibilityPortal.Password);
        foreach (var url in fleet.Pages)
        {
            await CheckAsync(page, url, dark, width, console, failures, summary);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{label}\n{string.Join('\n', summary)}");
        Assert.True(failures.Count == 0,
            $"{label}: {failures.Count} failures\n{string.Join('\n', failures.Take(300))}");
    }

    [Fact]
    public async Task ThemeToggle_ChosenOnce_RememberedAfterReload()
    {
        await using var context = await NewContextAsync(dark: false, 1366);
        var page = await context.NewPageAsync();
        await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
        await PageActions.GotoInteractiveAsync(page, "/devices");
        Assert.False(await IsDarkAsync(page));

        await page.GetByLabel("Toggle theme").ClickAsync();
        await page.WaitForFunctionAsync(IsDarkScript, null, new() { Timeout = 30_000 });
        await PageActions.GotoInteractiveAsync(page, "/configs");
        Assert.True(await IsDarkAsync(page), "the dark theme chosen on /devices is gone on the next page");
        await page.ReloadAsync();
        Assert.True(await IsDarkAsync(page), "the prerendered page after a reload is light again");
    }

    [Fact]
    public async Task Favicon_LinkedFromThePage_ServedAsSvg()
    {
        await using var context = await NewContextAsync(dark: false, 1366);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/account/login");
        var href = await page.Locator("link[rel=icon]").GetAttributeAsync("href");
        Assert.NotNull(href);

        var icon = await context.APIRequest.GetAsync(href);
        Assert.Equal(200, icon.Status);
        Assert.StartsWith("image/svg+xml", icon.Headers["content-type"], StringComparison.Ordinal);
        Assert.Contains("<svg", await icon.TextAsync(), StringComparison.Ordinal);
    }

    private async Task<IBrowserContext> NewContextAsync(bool dark, int width) =>
        await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = fleet.Portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = width < 800 ? 844 : 900 },
            ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light,
        });

    private static async Task CheckAsync(
        IPage page, string url, bool dark, int width, List<string> console, List<string> failures,
        List<string> summary)
    {
        console.Clear();
        await page.GotoAsync(url);

        // Pages in the account layout (sign-in, where a role that may not open a page lands, the error page) are
        // static forms: no circuit to wait for.
        var interactive = await page.Locator(".account-shell").CountAsync() == 0;
        if (interactive)
        {
            await page.GetByTestId("interactive").WaitForAsync(
                new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
        }

        var result = await page.RunAxe();
        var counts = result.Violations.GroupBy(v => v.Impact ?? "none")
            .ToDictionary(g => g.Key, g => g.Sum(v => v.Nodes.Length));
        summary.Add($"{url}: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        foreach (var violation in result.Violations.Where(v => Blocking.Contains(v.Impact)))
        {
            foreach (var node in violation.Nodes)
            {
                var html = node.Html.Length > 160 ? node.Html[..160] + "…" : node.Html;
                failures.Add($"{url}: axe {violation.Impact} {violation.Id} at {node.Target} {html}");
            }
        }

        var layout = await page.EvaluateAsync<int[]>("""
            () => [document.querySelectorAll('main').length, document.querySelectorAll('h1').length,
                   document.documentElement.scrollWidth, window.innerWidth]
            """);
        if (layout[0] != 1 || layout[1] < 1)
        {
            failures.Add($"{url}: {layout[0]} main landmarks and {layout[1]} h1 headings (want 1 and at least 1)");
        }

        if (width < 800 && layout[2] > layout[3])
        {
            failures.Add($"{url}: {layout[2]} px wide in a {layout[3]} px viewport; sticking out: "
                + await page.EvaluateAsync<string>(WidestScript));
        }

        if (interactive && await IsDarkAsync(page) != dark)
        {
            failures.Add($"{url}: the theme is {(dark ? "light" : "dark")} under an OS {(dark ? "dark" : "light")} "
                + "scheme with no choice made");
        }

        failures.AddRange(console.Select(text => $"{url}: console error {text}"));
    }

    /// <summary>The innermost elements reaching past the viewport's right edge, to say what makes a page too wide.
    /// </summary>
    private const string WidestScript = """
        () => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 1))
            .slice(0, 5)
            .map(e => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
                + `[${e.dataset.testid ?? ''}] "${e.textContent.trim().slice(0, 40)}"`)
            .join('; ')
        """;

    /// <summary>Whether the page background (body's, else html's, else white) is dark: luminance under a half.
    /// </summary>
    private const string IsDarkScript = """
        () => {
            const colour = [document.body, document.documentElement]
                .map(e => getComputedStyle(e).backgroundColor.match(/[\d.]+/g).map(Number))
                .find(c => c.length < 4 || c[3] > 0) ?? [255, 255, 255];
            return 0.2126 * colour[0] + 0.7152 * colour[1] + 0.0722 * colour[2] < 128;
        }
        """;

    private static Task<bool> IsDarkAsync(IPage page) => page.EvaluateAsync<bool>(IsDarkScript);
}
