using Fleet.Portal.Features.Commands.Runs;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// Must show #3: a bulk run over 1,000 simulated devices (the agent's <c>simulate</c> command, in process, over the
/// real broker) shows live progress in the browser, pauses at its failure threshold, resumes, completes and exports
/// its per-device results; HelpDesk reads it and changes nothing.
/// </summary>
public sealed class BulkRunInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const int Devices = 1000;

    /// <summary>With <c>--command-failure-percent 5</c>: devices 1–5 of every hundred fail.</summary>
    private const int FailurePercent = 5;

    private static readonly LocatorAssertionsToHaveTextOptions Slow = new() { Timeout = 120_000 };

    [Fact]
    public async Task BulkRun_ThousandDevices_LiveProgressPausesAtThresholdResumesCompletesExports()
    {
        await using var portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?>(SimulatedFleetHost.PortalSettings));
        const string password = "bulk-run-password-3";
        foreach (var (name, role) in new[] { ("olga", "Operator"), ("hank", "HelpDesk") })
        {
            Assert.True((await portal.Users.CreateAsync(new NewUser(name, null, role, password), TestActors.Admin))
                .Succeeded);
        }
        await using var fleet = await SimulatedFleetHost.StartAsync(portal, Devices, null,
            "--command-seconds", "1", "--command-failure-percent", $"{FailurePercent}");
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 900 },
            AcceptDownloads = true,
        });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "olga", password);
            await PageActions.GotoInteractiveAsync(page, "/commands/runs");
            await page.GetByTestId("new-run").ClickAsync();
            await ChooseAsync(page, "run-group", "default");
            await ChooseAsync(page, "run-kind", "reboot");
            await PageActions.FillFormAsync(page, ("run-reason", "kernel fix"), ("run-concurrency", "100"),
                ("run-threshold", "3"));
            await page.GetByTestId("run-start").ClickAsync();
            await page.WaitForURLAsync("**/commands/runs/*", new() { Timeout = 30_000 });
            await page.GetByTestId("interactive").WaitForAsync(
                new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
            var navigations = 0;
            page.FrameNavigated += (_, frame) => navigations += frame == page.MainFrame ? 1 : 0;

            // Live: the counts move without a reload, and the run pauses when 3 % (30) of the devices failed.
            await Assertions.Expect(page.GetByTestId("run-count-succeeded"))
                .Not.ToHaveTextAsync("0", new() { Timeout = 60_000 });
            await Assertions.Expect(page.GetByTestId("run-state")).ToHaveTextAsync("Paused", Slow);
            await Assertions.Expect(page.GetByTestId("run-paused-reason")).ToContainTextAsync("automatic: 3");
            Assert.NotEqual("0", await page.GetByTestId("run-count-held").InnerTextAsync());
            Assert.Equal(0, navigations);
            var id = Guid.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..]);
            var paused = (await portal.Services.GetRequiredService<CommandRunService>().GetAsync(id))!;
            Assert.Equal(CommandRunState.Paused, paused.State);
            Assert.InRange(paused.Counts.Failed, 30, Devices * FailurePercent / 100);

            await page.GetByTestId("run-resume").ClickAsync();
            await Assertions.Expect(page.GetByTestId("run-state")).ToHaveTextAsync("Completed", Slow);
            await Assertions.Expect(page.GetByTestId("run-count-succeeded")).ToHaveTextAsync("950");
            await Assertions.Expect(page.GetByTestId("run-count-failed")).ToHaveTextAsync("50");
            Assert.Equal(0, navigations);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "bulk-run.png") });

            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("run-export").ClickAsync());
            var csv = await File.ReadAllLinesAsync(await download.PathAsync());
            Assert.Equal(CommandRunCsv.Columns, csv[0].Split(','));
            var rows = csv.Skip(1).Select(line => line.Split(',')).ToList();
            Assert.Equal(Devices, rows.Count);
            var failing = Enumerable.Range(0, Devices).Where(i => i % 100 < FailurePercent)
                .Select(i => $"sim-{i + 1:D5}");
            Assert.Equal(failing, rows.Where(r => r[3] == "Failed").Select(r => r[2]).Order(StringComparer.Ordinal));
            Assert.All(rows.Where(r => r[3] == "Failed"), r => Assert.Equal("1", r[6]));
            Assert.Equal(Devices - 50, rows.Count(r => r[3] == "Succeeded"));

            // HelpDesk reads the run and its results, and has nothing to press.
            await using var readOnly = await browser.Browser.NewContextAsync(
                new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
            var help = await readOnly.NewPageAsync();
            await PageActions.SignInAsync(help, "hank", password);
            await PageActions.GotoInteractiveAsync(help, "/commands/runs");
            await Assertions.Expect(help.GetByTestId("run-link")).ToHaveCountAsync(1);
            await Assertions.Expect(help.GetByTestId("new-run")).ToHaveCountAsync(0);
            await PageActions.GotoInteractiveAsync(help, page.Url);
            await Assertions.Expect(help.GetByTestId("run-count-failed")).ToHaveTextAsync("50");
            await Assertions.Expect(help.GetByTestId("run-export")).ToBeVisibleAsync();
            await Assertions.Expect(help.Locator("[data-testid=run-pause], [data-testid=run-resume], "
                + "[data-testid=run-cancel]")).ToHaveCountAsync(0);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "bulk-run-failure.png"),
                FullPage = true });
            throw;
        }
    }

    private static async Task ChooseAsync(IPage page, string testId, string item)
    {
        await page.GetByTestId(testId).ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = item }).First.ClickAsync();
    }
}
