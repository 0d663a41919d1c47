using System.Text.RegularExpressions;
using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// The main pages, with data that makes every labelled enum show (an alert rule of each kind, a disk alert, a rolled
/// back update, reject rules of each kind, audit entries from the UI and the API), read as words: none of the enum
/// and field names the API uses reaches the screen.
/// </summary>
public sealed partial class HumanLabelsInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = PageActions.Visible;

    [Fact]
    public async Task MainPages_WithEveryKindOfData_ShowNoEnumIdentifiers()
    {
        await using var portal = await PortalInstance.StartAsync();
        var (id, device) = await ApprovedDevice.ConnectAsync(portal, "labels-box");
        await using var _ = device;
        var deviceId = Guid.ParseExact(id, "N");
        await device.PublishAsync(
            Topics.Health(id), AlertsInBrowserTests.Report(1, 93.7), FleetJson.Default.HealthReport);
        await device.PublishAsync(Topics.Deployments(id), RolledBack(), FleetJson.Default.DeploymentReport);
        var enrollment = portal.Services.GetRequiredService<EnrollmentService>();
        foreach (var (kind, value) in RejectRules)
        {
            Assert.True((await enrollment.AddRejectRuleAsync(new RejectRuleInput(kind, value), TestActors.Operator))
                .Succeeded);
        }

        var alerts = portal.Services.GetRequiredService<AlertService>();
        await portal.WaitForAsync(async () => (await alerts.ListAsync(true, deviceId)) is [var open, ..] ? open : null,
            what: "disk alert");
        await portal.WaitForAsync(
            async () => (await portal.FindDeviceAsync(d => d.Id == deviceId))?.UpdateStatus is { } s ? (object)s : null,
            what: "update status");

        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        var texts = new Dictionary<string, string>();
        try
        {
            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            async Task ReadAsync(string url, string waitFor, string? name = null)
            {
                await PageActions.GotoInteractiveAsync(page, url);
                await Assertions.Expect(page.GetByTestId(waitFor).First).ToBeVisibleAsync(Visible);
                texts[name ?? url] = await page.Locator("body").InnerTextAsync();
            }

            await ReadAsync("/", "dash-alerts");
            await ReadAsync("/devices", "device-link");
            await ReadAsync($"/devices/{deviceId}", "os-updates");
            await Assertions.Expect(page.GetByTestId("update-status")).ToHaveTextAsync("rolled back");

            // The credential card's confirmation names its action in words.
            await page.GetByTestId("re-enrol").ClickAsync();
            await Assertions.Expect(page.GetByTestId("confirm-yes")).ToHaveTextAsync("Re-enrol");
            texts["re-enrol dialog"] = await page.Locator(".mud-dialog").InnerTextAsync();
            await page.GetByTestId("confirm-cancel").ClickAsync();

            await ReadAsync("/alerts", "alert-row");
            await page.GetByRole(AriaRole.Tab, new() { Name = "Rules" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("rule-row").First).ToBeVisibleAsync(Visible);
            texts["/alerts rules"] = await page.Locator("body").InnerTextAsync();

            await ReadAsync("/enrollment/policies", "reject-table");
            await Assertions.Expect(page.GetByTestId("reject-table").Locator("tbody tr"))
                .ToHaveCountAsync(RejectRules.Length, new() { Timeout = 30_000 });
            texts["/enrollment/policies"] = await page.Locator("body").InnerTextAsync();

            await ReadAsync("/updates/streams/stable/rollout", "status-table");
            await ReadAsync("/audit", "audit-row");
            await ReadAsync("/admin/users", "user-row");

            Assert.Contains("Disk above", texts["/alerts rules"], StringComparison.Ordinal);
            Assert.Contains("Machine-id", texts["/enrollment/policies"], StringComparison.Ordinal);
            Assert.Contains("rolled back", texts["/updates/streams/stable/rollout"], StringComparison.Ordinal);
            var found = texts
                .SelectMany(t => Identifier().Matches(t.Value).Select(m => $"{t.Key}: {m.Value}"))
                .Distinct()
                .ToList();
            Assert.Empty(found);
        }
        catch
        {
            await page.ScreenshotAsync(new()
            {
                Path = Path.Combine(AppContext.BaseDirectory, "human-labels-failure.png"),
                FullPage = true,
            });
            throw;
        }
    }

    private static readonly (RejectKind Kind, string Value)[] RejectRules =
    [
        (RejectKind.Mac, "52:54:00:aa:bb:cc"),
        (RejectKind.MachineId, new string('c', 32)),
        (RejectKind.EnrollmentId, "enroll-" + new string('d', 32)),
    ];

    // Enum and field names as the API and the protocol spell them, which a person should never have to read.
    [GeneratedRegex(@"\b(ReEnrol|DiskAbove|MemoryAbove|TemperatureAbove|FailedUnits|NoReportSinceConnect|"
        + @"ConfigCannotRender|MachineId|EkHash|EnrollmentId|RolledBack|NeedsReinstall|SshKeys|Dropin|"
        + @"publicKey|Ui|Api|NotFound|TooManyRequests|Unprocessable)\b")]
    private static partial Regex Identifier();

    private static DeploymentReport RolledBack() => new(
        DateTimeOffset.UtcNow, UpdateAgentKind.Zincati, GreenbootStatus.Green, true,
        new DeploymentInfo(new string('a', 64), "42.20250901.3.0"), null, NodeUuid.FromMachineId(new string('2', 32)),
        Event: new UpdateEvent(Guid.NewGuid().ToString("N"), UpdateEventKind.RolledBack, DateTimeOffset.UtcNow,
            "42.20250914.3.0"));
}
