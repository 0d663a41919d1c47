using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// A help-desk user finds a device by the MAC a caller reads off the box, sees its health, can change nothing and
/// never sees a device's enrolment id.
/// </summary>
public sealed class HelpDeskInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task HelpDesk_FindsDeviceByMac_SeesHealthCardAndNoEditControls()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
            ["Fleet:Devices:PendingRetrySeconds"] = "1",
        });
        const string password = "help-desk-password-1";
        var created = await portal.Users.CreateAsync(new NewUser("hazel", null, "HelpDesk", password), TestActors.Admin);
        Assert.Equal(OutcomeKind.Done, created.Kind);

        // One approved, online device (the real agent on this machine) and one still pending.
        await using var agent = await AgentHost.StartAsync(portal.MqttPort);
        var machineId = (await File.ReadAllTextAsync("/etc/machine-id")).Trim();
        var device = await portal.WaitForAsync(() => portal.FindDeviceAsync(d => d.MachineId == machineId), what: "agent enrolled");
        await portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        await portal.WaitForAsync(() => portal.FindDeviceAsync(d => d.Id == device.Id && d.IsOnline), what: "agent online");
        var (pending, _) = await TestMqttClient.ConnectBootstrapAsync(portal.MqttPort);
        await using var _ = pending;
        await pending.EnrollAsync(TestMqttClient.Request(hostname: "waiting-box"));

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "hazel", password);
            await PageActions.GotoInteractiveAsync(page, "/helpdesk");

            // The MAC as printed on a label: upper case, dashes.
            await PageActions.FillAsync(page, "helpdesk-search", device.PrimaryMac.ToUpperInvariant().Replace(':', '-'));
            await page.GetByTestId("helpdesk-go").ClickAsync();
            var card = page.GetByTestId("health-card");
            await Assertions.Expect(card.GetByTestId("health-hostname")).ToHaveTextAsync(device.Hostname, new() { Timeout = 30_000 });
            await Assertions.Expect(card.GetByTestId("device-status")).ToHaveTextAsync("Online");
            await Assertions.Expect(card).ToContainTextAsync(machineId);

            // No deployment report yet: the OS version is the one its os-release stated, under the header that
            // names the same OS, never "not reported".
            var fromOsRelease = new System.Text.RegularExpressions.Regex(
                @"^\S+ \(os-release at enrolment; no deployment report yet\)$");
            await Assertions.Expect(card.GetByTestId("booted-version")).ToHaveTextAsync(fromOsRelease);
            await Assertions.Expect(card.GetByTestId("last-rollback")).ToHaveTextAsync("never");
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "helpdesk.png"), FullPage = true });

            // No edit controls anywhere a help-desk user can go.
            await PageActions.GotoInteractiveAsync(page, "/devices");
            var waiting = page.Locator("tr", new() { HasText = "waiting-box" });
            await Assertions.Expect(waiting.GetByTestId("device-status")).ToHaveTextAsync("Pending", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("approve")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("reject")).ToHaveCountAsync(0);
            await Assertions.Expect(page.Locator("input[type=checkbox]")).ToHaveCountAsync(0);
            await waiting.GetByText("waiting-box").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/devices/[0-9a-f-]{36}$"), new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByText("Device id")).ToBeVisibleAsync(PageActions.Visible);
            await Assertions.Expect(page.GetByTestId("device-status")).ToHaveTextAsync("Pending", new() { Timeout = 30_000 });

            // The enrolment id is the pending agent's bootstrap client id: a secret of the device, not shown here.
            await Assertions.Expect(page.GetByTestId("enrollment-id")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByText("Enrolment id")).ToHaveCountAsync(0);
            Assert.DoesNotContain(pending.ClientId, await page.ContentAsync(), StringComparison.Ordinal);
            await Assertions.Expect(page.GetByTestId("approve")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("nav-users")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("nav-audit")).ToHaveCountAsync(0);

            // An admin page by its address: told the role may not open it, not sent round the sign-in form.
            await page.GotoAsync("/admin/users");
            await Assertions.Expect(page.GetByTestId("access-denied")).ToContainTextAsync("HelpDesk", new() { Timeout = 30_000 });
            await PageActions.GotoInteractiveAsync(page, "/helpdesk");

            // Signing out goes through the antiforgery-checked form and lands on the sign-in page.
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(PageActions.SignInPage(), new() { Timeout = 30_000 });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "helpdesk-failure.png"), FullPage = true });
            throw;
        }
    }
}
