using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>A device presenting another device's MAC with another machine-id: the device page flags it, an Operator resolves it there.</summary>
public sealed class IdentityConflictInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToContainTextOptions Within = new() { Timeout = 30_000 };

    [Fact]
    public async Task DevicePage_IdentityConflict_ShownAndResolvedWithANote()
    {
        await using var portal = await PortalInstance.StartAsync();
        var mac = TestMqttClient.RandomMac();
        await EnrolAsync(portal, "conflict-original", mac);
        var newcomer = await EnrolAsync(portal, "conflict-newcomer", mac);
        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();

        try
        {
            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            await PageActions.GotoInteractiveAsync(page, $"/devices/{newcomer}");

            var card = page.GetByTestId("identities");
            await Assertions.Expect(card.GetByTestId("identity-conflict")).ToContainTextAsync("Identity conflict", Within);
            await Assertions.Expect(card.GetByTestId("identity-conflict")).ToContainTextAsync("conflict-original", Within);
            await Assertions.Expect(card.GetByTestId("identifiers")).ToContainTextAsync(mac, Within);
            await Assertions.Expect(card.GetByTestId("tpm-state")).ToContainTextAsync("no TPM attestation", Within);
            var enrollmentId = new System.Text.RegularExpressions.Regex("^enroll-[0-9a-f]{32}$");
            await Assertions.Expect(page.GetByTestId("enrollment-id"))
                .ToHaveTextAsync(enrollmentId, new() { Timeout = 30_000 });

            await PageActions.FillAsync(page, "conflict-note", "spare NIC moved between machines");
            await card.GetByTestId("conflict-resolve").ClickAsync();

            await Assertions.Expect(card.GetByTestId("identity-conflict")).ToContainTextAsync("Resolved by admin", Within);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "identity-conflict-resolved.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "identity-conflict-failure.png"), FullPage = true });
            throw;
        }
    }

    private static async Task<Guid> EnrolAsync(PortalInstance portal, string hostname, string mac)
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request(hostname: hostname, macs: mac));
        return (await portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!.Id;
    }
}
