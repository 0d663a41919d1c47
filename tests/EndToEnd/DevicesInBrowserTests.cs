using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// The Devices page in Chromium: a rejection is confirmed and undone; the list's state lives in its address
/// (Back and reload keep it); labels are edited in bulk and filtered on; the CSV export is the filtered rows;
/// a help-desk user sees no control that changes anything and the server refuses their changes.
/// </summary>
public sealed class DevicesInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToHaveTextOptions Within = new() { Timeout = 30_000 };

    private static readonly PageAssertionsToHaveURLOptions Long = new() { Timeout = 30_000 };

    private static readonly LocatorAssertionsToHaveCountOptions Count = new() { Timeout = 30_000 };

    private static readonly LocatorAssertionsToContainTextOptions Contains = new() { Timeout = 30_000 };

    private static readonly string[] Labelled = ["state-1", "state-4"];

    private static readonly string[] HelpDeskMayNotSee =
        ["approve", "reject", "undo-reject", "select-all", "edit-labels", "move-group"];

    [Fact]
    public async Task Reject_AsksForConfirmation_ThenUndoneToPending()
    {
        await using var portal = await PortalInstance.StartAsync();
        var id = await EnrolAsync(portal, "reject-me");
        await using var context = await NewContextAsync(portal);
        var page = await context.NewPageAsync();
        await RunAsync(page, "reject", async () =>
        {
            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            await PageActions.GotoInteractiveAsync(page, "/devices");
            var row = page.Locator("tr", new() { HasText = "reject-me" });
            await Assertions.Expect(row.GetByTestId("device-status")).ToHaveTextAsync("Pending", Within);

            // At 1366 px the row's last button is whole, inside the window.
            var reject = await row.GetByTestId("reject").BoundingBoxAsync();
            Assert.NotNull(reject);
            Assert.True(reject.X + reject.Width <= 1366, $"Reject ends at {reject.X + reject.Width} px");
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "devices-1366.png") });

            // Approve and Reject in their own colours, not greyed by a button group's override.
            await Assertions.Expect(row.GetByTestId("approve"))
                .ToHaveClassAsync(new Regex("mud-button-filled-success"));
            await Assertions.Expect(row.GetByTestId("reject")).ToHaveClassAsync(new Regex("mud-button-outlined-error"));
            await Assertions.Expect(row.Locator(".mud-button-group-override-styles")).ToHaveCountAsync(0);

            // Cancelled: nothing happens.
            await row.GetByTestId("reject").ClickAsync();
            await Assertions.Expect(page.GetByTestId("confirm-what")).ToContainTextAsync("reject-me", Contains);
            await Assertions.Expect(page.GetByTestId("confirm-undo")).ToContainTextAsync("Pending");
            await page.GetByTestId("confirm-cancel").ClickAsync();
            await Assertions.Expect(page.GetByTestId("confirm-what")).ToHaveCountAsync(0, Count);
            Assert.Equal(EnrollmentState.Pending, (await portal.FindDeviceAsync(d => d.Id == id))!.State);

            // Confirmed: rejected, with an Undo at hand.
            await row.GetByTestId("reject").ClickAsync();
            await page.GetByTestId("confirm-yes").ClickAsync();
            await Assertions.Expect(row.GetByTestId("device-status")).ToHaveTextAsync("Rejected", Within);
            await page.Locator(".mud-snackbar").GetByRole(AriaRole.Button, new() { Name = "Undo" }).ClickAsync();
            await Assertions.Expect(row.GetByTestId("device-status")).ToHaveTextAsync("Pending", Within);

            // And once more from the row of the rejected device.
            await row.GetByTestId("reject").ClickAsync();
            await page.GetByTestId("confirm-yes").ClickAsync();
            await Assertions.Expect(row.GetByTestId("device-status")).ToHaveTextAsync("Rejected", Within);
            await row.GetByTestId("undo-reject").ClickAsync();
            await Assertions.Expect(row.GetByTestId("device-status")).ToHaveTextAsync("Pending", Within);

            await using var db = await portal.CreateDbAsync();
            Assert.Equal(2, await db.AuditEntries.CountAsync(
                e => e.Action == "device.reject.undo" && e.EntityId == id.ToString("N")));
            Assert.Equal(EnrollmentState.Pending, (await db.Devices.SingleAsync(d => d.Id == id)).State);
        });
    }

    [Fact]
    public async Task DevicesPage_StateSurvivesBackAndReload_BulkLabelsFilterAndCsvIsTheFilteredRows()
    {
        await using var portal = await PortalInstance.StartAsync();
        for (var i = 0; i < 6; i++)
        {
            await EnrolAsync(portal, $"state-{i}");
        }

        await EnrolAsync(portal, "other-box");
        await using var context = await NewContextAsync(portal);
        var page = await context.NewPageAsync();
        await RunAsync(page, "devices-state", async () =>
        {
            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            await PageActions.GotoInteractiveAsync(page, "/devices");
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveCountAsync(7, Count);

            // Search, then sort by hostname ascending: both in the address.
            await PageActions.FillAsync(page, "device-search", "state-");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"\?q=state-$"), Long);
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveCountAsync(6, Count);
            await page.GetByTestId("sort-hostname").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"q=state-&sort=hostname$"), Long);
            await Assertions.Expect(page.GetByTestId("device-link").First).ToHaveTextAsync("state-5", Within);
            await page.GetByTestId("sort-hostname").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"sort=hostname&dir=asc$"), Long);
            string[] ascending = ["state-0", "state-1", "state-2", "state-3", "state-4", "state-5"];
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveTextAsync(ascending, Within);

            // Open a device by keyboard (its link), then Back: the same list.
            await page.GetByTestId("device-link").First.FocusAsync();
            await page.Keyboard.PressAsync("ArrowDown");
            await Assertions.Expect(page.GetByTestId("device-link").Nth(1)).ToBeFocusedAsync();
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/devices/[0-9a-f-]{36}$"), Long);
            var heading = page.GetByRole(AriaRole.Heading, new() { Name = "state-1" });
            await Assertions.Expect(heading).ToBeVisibleAsync(PageActions.Visible);
            await page.GoBackAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"\?q=state-&sort=hostname&dir=asc$"), Long);
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveTextAsync(ascending, Within);
            await Assertions.Expect(PageActions.Input(page, "device-search")).ToHaveValueAsync("state-");

            // Reload: the same again.
            await page.ReloadAsync();
            await page.GetByTestId("interactive").WaitForAsync(
                new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveTextAsync(ascending, Within);
            await Assertions.Expect(PageActions.Input(page, "device-search")).ToHaveValueAsync("state-");

            // Label two devices in one go, then filter on the label.
            foreach (var host in Labelled)
            {
                await page.Locator("tr", new() { HasText = host }).Locator("label.mud-checkbox").ClickAsync();
            }

            await page.GetByTestId("edit-labels").ClickAsync();
            await PageActions.FillAsync(page, "labels-add", "lab, rack=3");
            await page.GetByTestId("labels-apply").ClickAsync();
            await Assertions.Expect(page.GetByTestId("confirm-what")).ToContainTextAsync("add lab, rack=3", Contains);
            await page.GetByTestId("confirm-yes").ClickAsync();
            var labelled = page.Locator("tr", new() { HasText = "state-4" }).GetByTestId("device-label");
            await Assertions.Expect(labelled).ToHaveTextAsync(["lab", "rack=3"], Within);

            await PageActions.GotoInteractiveAsync(page, "/devices?label=lab&sort=hostname&dir=asc");
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveTextAsync(Labelled, Within);

            // The CSV is the rows the filter shows: every one, in the same order, whatever page is open.
            await PageActions.GotoInteractiveAsync(page, "/devices?q=state-&sort=hostname&dir=asc&size=25");
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveTextAsync(ascending, Within);
            var shown = await page.GetByTestId("device-link").AllInnerTextsAsync();
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-csv").ClickAsync());
            var csv = await File.ReadAllLinesAsync(await download.PathAsync());
            Assert.Equal(DeviceCsv.Columns, csv[0].Split(','));
            Assert.Equal(shown, csv.Skip(1).Select(line => line.Split(',')[1]));
            var expected = await portal.Devices.ListAsync(
                new DeviceQuery("state-", SortBy: "hostname", Descending: false));
            Assert.Equal(expected.Rows.Select(r => r.Id.ToString("N")), csv.Skip(1).Select(line => line.Split(',')[0]));

            // A search with no match on a fleet that has devices says so, not "start an agent".
            // It names the filter and offers to clear it, keeping the order.
            await PageActions.GotoInteractiveAsync(page, "/devices?q=no-such-device&status=Online&sort=hostname");
            await Assertions.Expect(page.GetByTestId("no-match"))
                .ToHaveTextAsync("No devices match “no-such-device”, status Online.", Within);
            await Assertions.Expect(page.GetByTestId("no-devices")).ToHaveCountAsync(0);
            await page.GetByTestId("clear-filters").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex(@"/devices\?sort=hostname$"), Long);
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveCountAsync(7, Count);
            await Assertions.Expect(page.GetByTestId("no-match")).ToHaveCountAsync(0);
        });
    }

    [Fact]
    public async Task HelpDesk_SeesNoMutatingControls_AndServerRefusesTheirChanges()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "help-desk-password-1";
        Assert.Equal(OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("hazel", null, "HelpDesk", password), TestActors.Admin)).Kind);
        var pending = await EnrolAsync(portal, "hd-pending");
        var rejected = await EnrolAsync(portal, "hd-rejected");
        await portal.Devices.RejectAsync(rejected, TestActors.Operator);
        var labels = portal.Services.GetRequiredService<DeviceLabelService>();
        await labels.ChangeAsync([pending], [new DeviceLabel("lab", "")], [], TestActors.Operator);
        await using var context = await NewContextAsync(portal);
        var page = await context.NewPageAsync();
        await RunAsync(page, "helpdesk-devices", async () =>
        {
            await PageActions.SignInAsync(page, "hazel", password);
            await PageActions.GotoInteractiveAsync(page, "/devices");
            await Assertions.Expect(page.GetByTestId("device-link")).ToHaveCountAsync(2, Count);
            foreach (var control in HelpDeskMayNotSee)
            {
                await Assertions.Expect(page.GetByTestId(control)).ToHaveCountAsync(0);
            }

            await Assertions.Expect(page.Locator("input[type=checkbox]")).ToHaveCountAsync(0);

            // Reading is allowed: the label filter and the export work for HelpDesk.
            var download = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("export-csv").ClickAsync());
            Assert.Equal(3, (await File.ReadAllLinesAsync(await download.PathAsync())).Length);

            await page.GetByTestId("device-link").Filter(new() { HasText = "hd-pending" }).ClickAsync();
            var card = page.GetByTestId("labels-card");
            await Assertions.Expect(card.GetByTestId("device-label")).ToHaveTextAsync("lab", Within);
            await Assertions.Expect(page.GetByTestId("label-add")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("label-add-input")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("reject")).ToHaveCountAsync(0);
        });

        // The services refuse what the page does not offer.
        var hazel = TestActors.HelpDesk;
        Assert.Equal(OutcomeKind.Forbidden, (await portal.Devices.RejectAsync(pending, hazel)).Kind);
        Assert.Equal(OutcomeKind.Forbidden, (await portal.Devices.UndoRejectAsync(rejected, hazel)).Kind);
        Assert.Equal(OutcomeKind.Forbidden,
            (await labels.ChangeAsync([pending], [], ["lab"], hazel)).Result.Kind);
        Assert.Equal(EnrollmentState.Rejected, (await portal.FindDeviceAsync(d => d.Id == rejected))!.State);
        Assert.Equal([new DeviceLabel("lab", "")], await labels.OfDeviceAsync(pending));
    }

    private async Task<IBrowserContext> NewContextAsync(PortalInstance portal) =>
        await browser.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = portal.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 900 },
            AcceptDownloads = true,
        });

    private static async Task RunAsync(IPage page, string name, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            var path = Path.Combine(AppContext.BaseDirectory, $"{name}-failure.png");
            await page.ScreenshotAsync(new() { Path = path, FullPage = true });
            throw;
        }
    }

    private static async Task<Guid> EnrolAsync(PortalInstance portal, string hostname)
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request(hostname: hostname));
        return (await portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!.Id;
    }
}
