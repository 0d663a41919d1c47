using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;
using Fleet.Tests;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// An operator imports Fedora CoreOS's documents by upload, halts a release and creates a group;
/// a help-desk user sees the same pages without a single control that changes anything.
/// </summary>
public sealed class UpdatesInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToBeVisibleOptions Visible = PageActions.Visible;

    /// <summary>
    /// Picks a fixture for one document of the import dialog the way a person does: click the button,
    /// answer the file chooser the page opens. MudFileUpload replaces its hidden input after it
    /// initialises, so setting files on an input found beforehand can be lost; the chooser always belongs
    /// to the live one. Retried while the dialog does not name the file (a click before the circuit wired
    /// the button opens nothing).
    /// </summary>
    private static async Task UploadAsync(IPage page, string document, string fixture)
    {
        var box = page.GetByTestId($"upload-{document}");
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var chooser = await page.RunAndWaitForFileChooserAsync(() => box.GetByRole(AriaRole.Button).ClickAsync(), new() { Timeout = 5_000 });
                await chooser.SetFilesAsync(SharedInterop.FixturePath(fixture));
                await Assertions.Expect(box).ToContainTextAsync(fixture, new() { Timeout = 10_000 });
                return;
            }
            catch (Exception ex) when (ex is PlaywrightException or TimeoutException && attempt < 6)
            {
            }
        }
    }

    [Fact]
    public async Task Operator_ImportsHaltsAndGroups_HelpDeskOnlyLooks()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "update-operator-pw1";
        Assert.Equal(
            OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("olga", null, "Operator", password), TestActors.Admin)).Kind);
        Assert.Equal(
            OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("hank", null, "HelpDesk", password), TestActors.Admin)).Kind);
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(portal.MqttPort);
        await using (client)
        {
            await client.EnrollAsync(TestMqttClient.Request(hostname: "updatable-box"));
        }

        var device = (await portal.FindDeviceAsync(d => d.Hostname == "updatable-box"))!;
        await portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "olga", password);
            await PageActions.GotoInteractiveAsync(page, "/");
            await page.GetByTestId("nav-updates").ClickAsync();
            await Assertions.Expect(page.Locator("#updates-heading")).ToBeVisibleAsync(Visible);
            await page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });

            // Upload releases.json and updates.json into stable.
            await page.GetByTestId("import").ClickAsync();
            await UploadAsync(page, "releases", "fcos-releases.json");
            await UploadAsync(page, "updates", "updates-stable.json");
            await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("fcos-releases.json", new() { Timeout = 30_000 });
            await Assertions.Expect(page.Locator(".mud-dialog")).ToContainTextAsync("updates-stable.json", new() { Timeout = 30_000 });
            await page.GetByTestId("run-import").ClickAsync();
            await Assertions.Expect(page.GetByTestId("import-report")).ToContainTextAsync("26 added", new() { Timeout = 30_000 });
            await page.GetByRole(AriaRole.Button, new() { Name = "Done" }).ClickAsync();
            var table = page.GetByTestId("release-table");
            await Assertions.Expect(table).ToContainTextAsync("33.20201214.3.1", new() { Timeout = 30_000 });
            await Assertions.Expect(table.GetByTestId("chip-barrier")).ToHaveCountAsync(4);

            // Halt the newest release.
            var newest = page.Locator("tr", new() { HasText = "33.20201214.3.1" });
            await newest.GetByTestId("halt").ClickAsync();
            await PageActions.FillAsync(page, "reason", "boot loop on the lab boards");
            await page.GetByTestId("confirm").ClickAsync();
            await Assertions.Expect(newest.GetByTestId("chip-halted")).ToBeVisibleAsync(Visible);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "updates.png"), FullPage = true });

            // One approved device follows stable, the fleet default.
            await page.GetByTestId("rollout-link").ClickAsync();
            await Assertions.Expect(page.GetByTestId("assigned-devices")).ToHaveTextAsync("1", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("version-table")).ToContainTextAsync("33.20201214.3.1");
            await PageActions.GotoInteractiveAsync(page, $"/devices/{device.Id}");
            await Assertions.Expect(page.GetByTestId("device-update-state")).ToContainTextAsync("whatever stable rolls out", new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "device-updates.png"), FullPage = true });
            await PageActions.GotoInteractiveAsync(page, "/updates");

            // A group with two reboot slots.
            await page.GetByTestId("groups-link").ClickAsync();
            await Assertions.Expect(page.Locator("#groups-heading")).ToBeVisibleAsync(Visible);
            await page.GetByTestId("new-group").ClickAsync();
            await PageActions.FillAsync(page, "group-name", "canaries");
            await PageActions.FillAsync(page, "group-slots", "2");
            await page.GetByTestId("save-group").ClickAsync();
            var row = page.Locator("tr", new() { HasText = "canaries" });
            await Assertions.Expect(row.GetByTestId("slots")).ToHaveTextAsync("0 of 2 taken", new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "update-groups.png"), FullPage = true });

            // The help desk sees it all and can change none of it.
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(PageActions.SignInPage(), new() { Timeout = 30_000 });
            await PageActions.SignInAsync(page, "hank", password);
            await PageActions.GotoInteractiveAsync(page, "/updates");
            await Assertions.Expect(page.GetByTestId("release-table")).ToContainTextAsync("33.20201214.3.1", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("chip-halted")).ToHaveCountAsync(1);
            foreach (var control in new[] { "import", "halt", "resume", "rollout", "pause-stream", "new-stream", "edit-settings" })
            {
                await Assertions.Expect(page.GetByTestId(control)).ToHaveCountAsync(0);
            }

            await PageActions.GotoInteractiveAsync(page, $"/devices/{device.Id}");
            await Assertions.Expect(page.GetByTestId("device-update-state")).ToBeVisibleAsync(Visible);
            await Assertions.Expect(page.GetByTestId("device-update-actions")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("device-group")).ToHaveCountAsync(0);

            await PageActions.GotoInteractiveAsync(page, "/updates/groups");
            await Assertions.Expect(page.GetByTestId("group-table")).ToContainTextAsync("canaries", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("new-group")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("group-actions")).ToHaveCountAsync(0);
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "updates-failure.png"), FullPage = true });
            throw;
        }
    }
}
