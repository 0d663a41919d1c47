using Fleet.Portal.Data;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// An Operator edits a Butane config, sees a located error, fixes it, saves version 2, compares it with version 1 and
/// assigns it to a group; a HelpDesk user sees the config read-only and the device's secret hidden.
/// </summary>
public sealed class ConfigsInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Secret = "very-secret-token-42";

    [Fact]
    public async Task Operator_EditsSavesDiffsAssigns_HelpDeskSeesNoSecret()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "config-test-password-1";
        Assert.Equal(
            OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("olga", null, "Operator", password), TestActors.Admin)).Kind);
        Assert.Equal(
            OutcomeKind.Done,
            (await portal.Users.CreateAsync(new NewUser("hazel", null, "HelpDesk", password), TestActors.Admin)).Kind);
        var configs = portal.Services.GetRequiredService<ConfigService>();
        var created = await configs.CreateAsync(new ConfigInput("web", ConfigSourceLanguage.Butane, "web servers", Butane("welcome"), "first"), TestActors.Operator);
        Assert.True(created.Succeeded, created.Message);
        var configId = created.Value!.ConfigId;
        var deviceId = await AddDeviceAsync(portal);
        Assert.True((await configs.SetVariableAsync(deviceId, "token", Secret, secret: true, TestActors.Operator)).Succeeded);
        Assert.True((await configs.AssignAsync(configId, ConfigScope.Device, null, deviceId, TestActors.Operator)).Succeeded);

        await using var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "olga", password);
            await PageActions.GotoInteractiveAsync(page, "/configs");
            await page.GetByTestId("config-link").GetByText("web").ClickAsync();
            await Assertions.Expect(page.GetByTestId("config-title")).ToHaveTextAsync("web · v1", new() { Timeout = 30_000 });

            var source = page.Locator("textarea[data-testid=config-source]").Or(page.GetByTestId("config-source").Locator("textarea"));
            await source.FillAsync(Butane("hello {{device.hostnme}}"));
            var error = page.GetByTestId("config-error");
            await Assertions.Expect(error).ToContainTextAsync("line 7", new() { Timeout = 30_000 });
            await Assertions.Expect(error).ToContainTextAsync("device.hostnme");

            await source.FillAsync(Butane("hello {{device.hostname}}"));
            await Assertions.Expect(page.GetByTestId("config-error")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await page.GetByText("Rendered Ignition", new() { Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("rendered-ignition")).ToContainTextAsync("/etc/motd", new() { Timeout = 30_000 });
            await PageActions.FillAsync(page, "config-message", "greet by name");
            await page.GetByTestId("config-save").ClickAsync();
            await Assertions.Expect(page.GetByTestId("config-title")).ToHaveTextAsync("web · v2", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("version-row")).ToHaveCountAsync(2);

            await page.GetByTestId("diff-show").ClickAsync();
            await Assertions.Expect(page.GetByTestId("diff-removed")).ToContainTextAsync("welcome", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("diff-added")).ToContainTextAsync("hello {{device.hostname}}");

            await page.GetByTestId("assign").ClickAsync();   // the default choice: group "default"
            await Assertions.Expect(page.GetByTestId("assignment").Filter(new() { HasText = "group default" })).ToBeVisibleAsync(PageActions.Visible);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "configs-operator.png"), FullPage = true });

            await context.ClearCookiesAsync();
            await PageActions.SignInAsync(page, "hazel", password);
            await PageActions.GotoInteractiveAsync(page, $"/configs/{configId}");
            await Assertions.Expect(page.GetByTestId("read-only")).ToBeVisibleAsync(PageActions.Visible);
            await Assertions.Expect(page.GetByTestId("config-save")).ToHaveCountAsync(0);
            await Assertions.Expect(page.GetByTestId("assign")).ToHaveCountAsync(0);

            await PageActions.GotoInteractiveAsync(page, $"/devices/{deviceId}");
            var card = page.GetByTestId("device-config");
            await Assertions.Expect(card.GetByTestId("variable-value")).ToHaveTextAsync("(secret: hidden)", new() { Timeout = 30_000 });
            await Assertions.Expect(card.GetByTestId("variable-set")).ToHaveCountAsync(0);
            Assert.DoesNotContain(Secret, await page.ContentAsync(), StringComparison.Ordinal);
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "configs-helpdesk.png"), FullPage = true });
        }
        catch
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "configs-failure.png"), FullPage = true });
            throw;
        }
    }

    private static string Butane(string motd) => $"""
        variant: fcos
        version: 1.4.0
        storage:
          files:
            - path: /etc/motd
              contents:
                inline: "{motd}"
            - path: /etc/token
              contents:
                inline: "{"{{vars.token}}"}"
        """;

    private static async Task<Guid> AddDeviceAsync(PortalInstance portal)
    {
        await using var db = await portal.CreateDbAsync();
        var device = new Device
        {
            Id = Guid.NewGuid(), EnrollmentId = "browser-config", State = EnrollmentState.Approved, MachineId = new string('c', 32), Hostname = "web-1",
            Architecture = "x86_64", Kernel = "6.1", OsName = "Fedora CoreOS 42", OsReleaseJson = "{}", PrimaryMac = "52:54:00:00:00:42", AgentVersion = "1",
        };
        device.Macs.Add(new DeviceMac { Mac = "52:54:00:00:00:42", InterfaceName = "eth0", IsPrimary = true });
        db.Devices.Add(device);
        await db.SaveChangesAsync();
        return device.Id;
    }
}
