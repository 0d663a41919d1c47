using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>An admin signs in, sees a real agent waiting, approves it and watches it go Online and Offline without reloading.</summary>
public sealed class EnrolmentInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToHaveTextOptions Within = new() { Timeout = 30_000 };

    [Fact]
    public async Task Admin_ApprovesPendingAgent_RowTurnsOnlineThenOfflineLive()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
            ["Fleet:Devices:OfflineTimeoutSeconds"] = "10",
            ["Fleet:Devices:PendingRetrySeconds"] = "1",
        });
        var agent = await AgentHost.StartAsync(portal.MqttPort);
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();

        try
        {
            await page.GotoAsync("/devices");
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/account/login"));
            await page.FillAsync("#username", "admin");
            await page.FillAsync("#password", PortalInstance.AdminPassword);
            await page.ClickAsync("button[type=submit]");
            await Assertions.Expect(page.Locator("#devices-heading")).ToBeVisibleAsync(new() { Timeout = 30_000 });

            // Until the circuit is live the prerendered Approve button ignores clicks.
            await page.GetByTestId("interactive").WaitForAsync(
                new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
            var row = page.Locator("tr", new() { HasText = Environment.MachineName });
            await Assertions.Expect(row.GetByTestId("device-status")).ToHaveTextAsync("Pending", Within);

            await row.GetByTestId("approve").ClickAsync();
            await Assertions.Expect(row.GetByTestId("device-status")).ToHaveTextAsync("Online", Within);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "devices-online.png"), FullPage = true });

            await agent.StopAsync();
            await Assertions.Expect(row.GetByTestId("device-status")).ToHaveTextAsync("Offline", Within);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "enrolment-failure.png"), FullPage = true });
            throw;
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }
}
