using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>Must show #3: the dashboard follows the fleet live; a help-desk user sees a device's health charts.</summary>
public sealed class HealthInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static HealthReport Report(long sequence, double cpu) => new(
        sequence,
        DateTimeOffset.UtcNow,
        UptimeSeconds: 1000 + sequence,
        CpuPercent: cpu,
        Memory: new MemoryUsage(8_000_000_000, 5_000_000_000, 0, 0),
        Filesystems: [new FilesystemUsage("/sysroot", "/dev/vda4", "xfs", 100_000, 42_000, 58_000)],
        Temperatures: [new TemperatureReading("thermal_zone0", "x86_pkg_temp", 40 + sequence)],
        FailedUnits: []);

    [Fact]
    public async Task Dashboard_DeviceGoesOffline_CountsAndAlertUpdateWithoutReload()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?> { ["Fleet:Health:AlertSweepSeconds"] = "1" });
        const string password = "operator-password-1";
        Assert.Equal(
            OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("olga", null, "Operator", password), TestActors.Admin)).Kind);
        var alerts = portal.Services.GetRequiredService<AlertService>();
        var offline = new AlertRuleInput("Device offline", AlertKind.Offline, 0, AlertSeverity.Critical, null);
        Assert.Equal(OutcomeKind.Done, (await alerts.CreateRuleAsync(offline, TestActors.Operator)).Kind);
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, "going-away");
        await client.PublishAsync(Topics.Health(id), Report(1, 20), FleetJson.Default.HealthReport);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "olga", password);
            await PageActions.GotoInteractiveAsync(page, "/");
            await Assertions.Expect(page.GetByTestId("dash-online")).ToHaveTextAsync("1", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("dash-open-alerts")).ToHaveTextAsync("0");
            await Assertions.Expect(page.GetByTestId("dash-worst")).ToContainTextAsync("going-away");

            // The fleet over the day (first asked now, after the report was stored): one device reporting.
            await page.GetByTestId("dash-range").GetByText("24 h").ClickAsync();
            var reporting = page.GetByTestId("dash-chart-reporting");
            await Assertions.Expect(reporting.Locator("svg polyline.fleet-chart-line"))
                .ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await reporting.GetByTestId("chart-point").Last.HoverAsync();
            await Assertions.Expect(reporting.Locator(".fleet-chart-tip:visible"))
                .ToContainTextAsync("Devices reporting: 1 devices");
            var navigations = 0;
            page.FrameNavigated += (_, frame) => navigations += frame == page.MainFrame ? 1 : 0;

            await client.DisposeAsync(); // the device goes away

            await Assertions.Expect(page.GetByTestId("dash-offline")).ToHaveTextAsync("1", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("dash-online")).ToHaveTextAsync("0");
            await Assertions.Expect(page.GetByTestId("dash-alerts")).ToContainTextAsync("going-away offline", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("dash-open-alerts")).ToHaveTextAsync("1");
            await Assertions.Expect(page.GetByTestId("alert-count")).ToHaveTextAsync("1", new() { Timeout = 30_000 });
            Assert.Equal(0, navigations);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "dashboard-failure.png"), FullPage = true });
            throw;
        }
    }

    [Fact]
    public async Task HelpDesk_OpensDevicePage_SeesHealthCharts()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?> { ["Fleet:Health:MaxReportsPerMinute"] = "6000" });
        const string password = "help-desk-password-2";
        Assert.Equal(
            OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("hank", null, "HelpDesk", password), TestActors.Admin)).Kind);
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, "charted");
        await using var _ = client;
        for (var i = 1; i <= 5; i++)
        {
            // The device's outbox dropped 3 reports while the portal was unreachable.
            var report = Report(i, 10 * i) with { DroppedReports = i == 5 ? 3 : 0 };
            await client.PublishAsync(Topics.Health(id), report, FleetJson.Default.HealthReport);
        }

        // The viewer is in India (UTC+05:30): ticks at round hours of that clock are half past in UTC.
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(), TimezoneId = "Asia/Kolkata",
        });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "hank", password);
            await PageActions.GotoInteractiveAsync(page, $"/devices/{Guid.ParseExact(id, "N")}");
            var charts = page.GetByTestId("health-charts");
            foreach (var chart in new[] { "chart-cpu", "chart-memory", "chart-disk", "chart-temperature" })
            {
                await Assertions.Expect(charts.GetByTestId(chart).Locator("svg polyline.fleet-chart-line"))
                    .ToHaveCountAsync(1, new() { Timeout = 30_000 });
            }

            await Assertions.Expect(page.GetByTestId("health-latest")).ToContainTextAsync("Last health report");
            await Assertions.Expect(page.GetByTestId("health-failed-units")).ToHaveTextAsync("none");
            await Assertions.Expect(page.GetByTestId("health-dropped")).ToContainTextAsync("3, dropped unsent");

            // Live: a new report reaches the open page without a reload.
            await client.PublishAsync(Topics.Health(id), Report(6, 99), FleetJson.Default.HealthReport);
            await page.GetByTestId("chart-range").GetByText("24 h").ClickAsync();
            var cpu = charts.GetByTestId("chart-cpu");
            await Assertions.Expect(cpu.Locator("svg polyline.fleet-chart-line"))
                .ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await Assertions.Expect(cpu.GetByTestId("chart-tick")).ToHaveCountAsync(8);   // every 3 h of a day
            var ticks = await cpu.GetByTestId("chart-tick").EvaluateAllAsync<string[][]>(
                "ts => ts.map(t => [t.dataset.at, t.textContent.trim()])");
            var now = portal.Services.GetRequiredService<TimeProvider>().GetUtcNow();
            var kolkata = TimeZoneInfo.FindSystemTimeZoneById("Asia/Kolkata");
            foreach (var (at, label) in ticks.Select(t => (DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(
                t[0], System.Globalization.CultureInfo.InvariantCulture)), t[1])))
            {
                Assert.True(at <= now, $"tick {at:O} is after now {now:O}");
                Assert.True(at >= now.AddHours(-24), $"tick {at:O} is before the window");
                var local = TimeZoneInfo.ConvertTime(at, kolkata);
                Assert.Equal(local.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), label);
                Assert.Equal((0, 0), (local.Hour % 3, local.Minute));
            }

            // Hover values: the point under the pointer says its time and value.
            await cpu.GetByTestId("chart-point").Last.HoverAsync();
            await Assertions.Expect(cpu.Locator(".fleet-chart-tip:visible")).ToContainTextAsync("CPU: ");

            // A week draws its line too, with a tick at each of the viewer's midnights.
            await page.GetByTestId("chart-range").GetByText("7 d").ClickAsync();
            await Assertions.Expect(cpu.Locator("svg polyline.fleet-chart-line"))
                .ToHaveCountAsync(1, new() { Timeout = 30_000 });
            await Assertions.Expect(cpu.GetByTestId("chart-tick")).ToHaveCountAsync(7);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "device-charts.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "device-charts-failure.png"), FullPage = true });
            throw;
        }
    }
}
