using System.Text.RegularExpressions;
using Fleet.Portal.Data;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// Claim codes end to end: the real agent shows a code on its console banner, a person types it on the
/// Claim page, and the device is approved, receives its credential and comes online.
/// </summary>
public sealed partial class ClaimInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Operator_TypesCodeFromAgentBanner_DeviceApprovedAndOnline()
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
            var banner = await WaitForBannerAsync(agent.ClaimBannerPath);
            var code = ClaimCode().Match(banner).Value;
            Assert.False(string.IsNullOrEmpty(code), banner);

            await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);
            await PageActions.GotoInteractiveAsync(page, "/claim");
            await PageActions.FillAsync(page, "claim-code", code.ToLowerInvariant());
            await page.GetByTestId("claim").ClickAsync();
            await Assertions.Expect(page.GetByTestId("claimed")).ToBeVisibleAsync(PageActions.Visible);

            var device = await portal.WaitForAsync(() => portal.FindDeviceAsync(d => d.State == EnrollmentState.Approved && d.IsOnline), TimeSpan.FromSeconds(60), "claimed device online");
            Assert.Equal("claim", device.ApprovedBy);
            await PageActions.GotoInteractiveAsync(page, $"/devices/{device.Id:N}");
            await Assertions.Expect(page.GetByTestId("credential-card")).ToContainTextAsync("claim", new() { Timeout = 30_000 });
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "claimed-device.png"), FullPage = true });
            await WaitUntilAsync(() => !File.Exists(agent.ClaimBannerPath));
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "claim-failure.png"), FullPage = true });
            throw;
        }
        finally
        {
            await agent.DisposeAsync();
        }
    }

    private static async Task<string> WaitForBannerAsync(string path)
    {
        await WaitUntilAsync(() => File.Exists(path));
        return await File.ReadAllTextAsync(path);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(100, timeout.Token);
        }
    }

    [GeneratedRegex("[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}")]
    private static partial Regex ClaimCode();
}
