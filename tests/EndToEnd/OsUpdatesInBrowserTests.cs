using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>An operator watches a device's OS update on its page: staged, then rolled back, without reloading.</summary>
public sealed class OsUpdatesInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task DevicePage_ReportsArrive_OsUpdatesCardAndTimelineFollowLive()
    {
        await using var portal = await PortalInstance.StartAsync();
        var (id, device) = await ApprovedDevice.ConnectAsync(portal, "updating-box");
        await using var _ = device;
        var booted = new DeploymentInfo(new string('a', 64), "42.20250901.3.0");
        await device.PublishAsync(Topics.Deployments(id), Report(booted, new DeploymentInfo(new string('b', 64), "42.20250914.3.0"), UpdateEventKind.Staged, "42.20250914.3.0"), FleetJson.Default.DeploymentReport);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            await PageActions.GotoInteractiveAsync(page, $"/devices/{Guid.ParseExact(id, "N")}");
            var card = page.GetByTestId("os-updates");
            await Assertions.Expect(card.GetByTestId("booted-version")).ToHaveTextAsync("42.20250901.3.0", new() { Timeout = 30_000 });
            await Assertions.Expect(card.GetByTestId("staged-version")).ToHaveTextAsync("42.20250914.3.0");
            await Assertions.Expect(card.GetByTestId("update-status")).ToHaveTextAsync("staged, waiting to reboot");
            await Assertions.Expect(card.GetByTestId("greenboot")).ToHaveTextAsync("green");

            // The new deployment fails its health check and the device falls back: the page follows.
            var report = Report(booted, null, UpdateEventKind.RolledBack, "42.20250914.3.0") with { RollbackDetected = true, Greenboot = GreenbootStatus.Green };
            await device.PublishAsync(Topics.Deployments(id), report with { Event = report.Event! with { Error = "greenboot fallback boot" } }, FleetJson.Default.DeploymentReport);

            await Assertions.Expect(card.GetByTestId("update-status")).ToHaveTextAsync("rolled back", new() { Timeout = 30_000 });
            await Assertions.Expect(card.GetByTestId("staged-version")).ToHaveTextAsync("none");
            await Assertions.Expect(card.GetByTestId("last-rollback")).Not.ToHaveTextAsync("never");
            await Assertions.Expect(page.GetByText("Rolled back from 42.20250914.3.0: greenboot fallback boot")).ToBeVisibleAsync(PageActions.Visible);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "os-updates.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "os-updates-failure.png"), FullPage = true });
            throw;
        }
    }

    private static DeploymentReport Report(DeploymentInfo booted, DeploymentInfo? staged, UpdateEventKind kind, string version) =>
        new(DateTimeOffset.UtcNow, UpdateAgentKind.Zincati, GreenbootStatus.Green, false, booted, staged, NodeUuid.FromMachineId(new string('2', 32)),
            Event: new UpdateEvent(Guid.NewGuid().ToString("N"), kind, DateTimeOffset.UtcNow, version));
}
