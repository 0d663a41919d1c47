using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// Must show #2 (last clause): a device with an open alert shows it on the help-desk card and the device page, with
/// its time on the viewer's clock there and in the alert table; an operator edits a default rule, and the rule form
/// resets the threshold when the kind changes.
/// </summary>
public sealed class AlertsInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToContainTextOptions Soon = new() { Timeout = 30_000 };

    /// <summary>A health report with the root filesystem <paramref name="diskPercent"/> full.</summary>
    internal static HealthReport Report(long sequence, double diskPercent) => new(
        sequence,
        DateTimeOffset.UtcNow,
        UptimeSeconds: 1000 + sequence,
        CpuPercent: 10,
        Memory: new MemoryUsage(8_000_000_000, 5_000_000_000, 0, 0),
        Filesystems: [new FilesystemUsage("/sysroot", "/dev/vda4", "xfs", 100_000, (long)(diskPercent * 1000),
            100_000 - (long)(diskPercent * 1000))],
        Temperatures: [new TemperatureReading("thermal_zone0", "x86_pkg_temp", 45)],
        FailedUnits: []);

    [Fact]
    public async Task HelpDesk_DeviceWithOpenDiskAlert_CardAndDevicePageShowIt()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "help-desk-password-3";
        Assert.Equal(OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("hilda", null, "HelpDesk", password), TestActors.Admin)).Kind);
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, "nearly-full");
        await using var _ = client;
        var deviceId = Guid.ParseExact(id, "N");
        await client.PublishAsync(Topics.Health(id), Report(1, 93.7), FleetJson.Default.HealthReport);
        var alerts = portal.Services.GetRequiredService<AlertService>();
        var alert = await portal.WaitForAsync(
            async () => (await alerts.ListAsync(true, deviceId)) is [var open, ..] ? open : null, what: "alert");

        // A viewer in Kathmandu (UTC+05:45, no daylight saving): no whole-hour offset hides a zone mix-up.
        const string zone = "Asia/Kathmandu";
        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString(), TimezoneId = zone });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "hilda", password);
            await PageActions.GotoInteractiveAsync(page, "/helpdesk");
            await PageActions.FillAsync(page, "helpdesk-search", "nearly-full");
            await page.GetByTestId("helpdesk-go").ClickAsync();
            var card = page.GetByTestId("health-card");
            await Assertions.Expect(card.GetByTestId("device-alert"))
                .ToContainTextAsync("Disk almost full: nearly-full: /sysroot 93.7 % full (limit 90 %)", Soon);
            await Assertions.Expect(card.GetByTestId("device-alert")).ToContainTextAsync("Critical");

            var local = TimeZoneInfo.ConvertTime(alert.FiredAt, TimeZoneInfo.FindSystemTimeZoneById(zone))
                .ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
            await Assertions.Expect(card.GetByTestId("device-alert")).ToContainTextAsync($"since {local}", Soon);

            // The alert table reads on the viewer's clock too.
            await PageActions.GotoInteractiveAsync(page, "/alerts");
            await Assertions.Expect(page.GetByTestId("alert-row").GetByTestId("alert-fired"))
                .ToHaveTextAsync(local, new() { Timeout = 30_000 });

            await PageActions.GotoInteractiveAsync(page, $"/devices/{deviceId}");
            await Assertions.Expect(page.GetByTestId("open-alerts-card").GetByTestId("device-alert"))
                .ToContainTextAsync("93.7 % full", Soon);

            // Live: the disk is cleaned up, the alert leaves the open page without a reload.
            await client.PublishAsync(Topics.Health(id), Report(2, 50), FleetJson.Default.HealthReport);
            await Assertions.Expect(page.GetByTestId("open-alerts-card").GetByTestId("device-alerts-none"))
                .ToContainTextAsync("No open alerts", Soon);
        }
        catch
        {
            await page.ScreenshotAsync(new()
            {
                Path = Path.Combine(AppContext.BaseDirectory, "alerts-helpdesk-failure.png"),
                FullPage = true,
            });
            throw;
        }
    }

    [Fact]
    public async Task Operator_EditsDefaultRule_ThresholdWithUnit_KindChangeResetsThreshold()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "operator-password-3";
        Assert.Equal(OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("otto", null, "Operator", password), TestActors.Admin)).Kind);

        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "otto", password);
            await PageActions.GotoInteractiveAsync(page, "/alerts");
            await page.GetByRole(AriaRole.Tab, new() { Name = "Rules" }).ClickAsync();
            var disk = page.GetByTestId("rule-row").Filter(new() { HasText = "Disk almost full" });
            await Assertions.Expect(disk).ToContainTextAsync("Disk above", Soon);
            await Assertions.Expect(disk.GetByTestId("rule-threshold-cell")).ToHaveTextAsync("90 %");

            await disk.GetByTestId("rule-edit").ClickAsync();
            await Assertions.Expect(page.GetByText("Edit rule: Disk almost full"))
                .ToBeVisibleAsync(PageActions.Visible);
            await Assertions.Expect(PageActions.Input(page, "rule-threshold")).ToHaveValueAsync("90");
            await PageActions.FillAsync(page, "rule-threshold", "85");
            await page.GetByTestId("rule-save").ClickAsync();
            await Assertions.Expect(disk.GetByTestId("rule-threshold-cell"))
                .ToHaveTextAsync("85 %", new() { Timeout = 30_000 });
            var saved = (await portal.Services.GetRequiredService<AlertService>().RulesAsync())
                .Single(r => r.Name == "Disk almost full");
            Assert.Equal(85, saved.Threshold);

            // The new-rule form: Disk above 90 % switched to "Offline longer than" offers 15 minutes, not 90.
            await Assertions.Expect(page.GetByText("New rule")).ToBeVisibleAsync(PageActions.Visible);
            await Assertions.Expect(PageActions.Input(page, "rule-threshold")).ToHaveValueAsync("90");
            await page.GetByTestId("rule-kind").First.ClickAsync();
            await page.Locator(".mud-popover-open").GetByText("Offline longer than", new() { Exact = true })
                .ClickAsync();
            await Assertions.Expect(PageActions.Input(page, "rule-threshold"))
                .ToHaveValueAsync("15", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("rule-form")).ToContainTextAsync("minutes");
        }
        catch
        {
            await page.ScreenshotAsync(new()
            {
                Path = Path.Combine(AppContext.BaseDirectory, "alerts-rules-failure.png"),
                FullPage = true,
            });
            throw;
        }
    }
}
