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

            // The editor (CodeMirror): line numbers, and the reported error marked at its line.
            var editor = page.GetByTestId("config-source");
            var source = editor.Locator(".cm-content");
            await source.FillAsync(Butane("hello {{device.hostnme}}"));
            var error = page.GetByTestId("config-error");
            await Assertions.Expect(error).ToContainTextAsync("line 7", new() { Timeout = 30_000 });
            await Assertions.Expect(error).ToContainTextAsync("device.hostnme");
            var lineNumbers = editor.Locator(".cm-lineNumbers .cm-gutterElement");
            await Assertions.Expect(lineNumbers.GetByText("10", new() { Exact = true })).ToBeVisibleAsync();
            var marked = editor.Locator(".cm-line.fleet-error-line");
            await Assertions.Expect(marked).ToHaveCountAsync(1);
            await Assertions.Expect(marked).ToHaveAttributeAsync("data-error-line", "7");
            await Assertions.Expect(marked).ToContainTextAsync("{{device.hostnme}}");
            await Assertions.Expect(editor.Locator(".cm-lint-marker-error")).ToHaveCountAsync(1);
            Assert.Contains("monospace", await source.EvaluateAsync<string>("e => getComputedStyle(e).fontFamily"),
                StringComparison.Ordinal);

            await source.FillAsync(Butane("hello {{device.hostname}}"));
            await Assertions.Expect(page.GetByTestId("config-error")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            await Assertions.Expect(marked).ToHaveCountAsync(0);
            await page.GetByText("Rendered Ignition", new() { Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("rendered-ignition")).ToContainTextAsync("/etc/motd", new() { Timeout = 30_000 });
            await PageActions.FillAsync(page, "config-message", "greet by name");
            await page.GetByTestId("config-save").ClickAsync();
            await Assertions.Expect(page.GetByTestId("config-title")).ToHaveTextAsync("web · v2", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("version-row")).ToHaveCountAsync(2);

            await page.GetByTestId("diff-show").ClickAsync();
            await Assertions.Expect(page.GetByTestId("diff-removed")).ToContainTextAsync("welcome", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("diff-added")).ToContainTextAsync("hello {{device.hostname}}");
            var fold = page.GetByTestId("diff-fold");   // unchanged lines away from the change, folded
            await Assertions.Expect(fold)
                .ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+ unchanged lines$"));
            await fold.ClickAsync();
            await Assertions.Expect(fold).ToHaveCountAsync(0);

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

    [Fact]
    public async Task Operator_AssignsConfigSomeDevicesCannotRender_WarnedWithTheDevices()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "config-test-password-2";
        var otto = await portal.Users.CreateAsync(new NewUser("otto", null, "Operator", password), TestActors.Admin);
        Assert.True(otto.Succeeded, otto.Message);
        var configs = portal.Services.GetRequiredService<ConfigService>();
        var created = await configs.CreateAsync(
            new ConfigInput("site", ConfigSourceLanguage.Butane, null, SiteButane, "first"), TestActors.Operator);
        Assert.True(created.Succeeded, created.Message);
        var withSite = await AddDeviceAsync(portal, "edge-1");
        await AddDeviceAsync(portal, "edge-2");
        await AddDeviceAsync(portal, "edge-3");
        Assert.True((await configs.SetVariableAsync(withSite, "site", "berlin", false, TestActors.Operator)).Succeeded);

        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "otto", password);
            await PageActions.GotoInteractiveAsync(page, $"/configs/{created.Value!.ConfigId}");
            await page.GetByTestId("assign").ClickAsync();   // the default choice: group "default"

            var warning = page.GetByTestId("assignment-coverage");
            await Assertions.Expect(warning)
                .ToContainTextAsync("renders for 1 of 3; 2 lack vars.site", new() { Timeout = 30_000 });
            await Assertions.Expect(warning.GetByTestId("unrendered-devices").Locator("li")).ToHaveTextAsync(
                [new System.Text.RegularExpressions.Regex(@"edge-2\s+lacks vars\.site"),
                    new System.Text.RegularExpressions.Regex(@"edge-3\s+lacks vars\.site")]);
            await PageActions.GotoInteractiveAsync(page, "/configs");
            await Assertions.Expect(page.GetByTestId("assignment-coverage"))
                .ToHaveTextAsync("renders for 1 of 3; 2 lack vars.site", new() { Timeout = 30_000 });
        }
        catch
        {
            await page.ScreenshotAsync(new()
            {
                Path = Path.Combine(AppContext.BaseDirectory, "configs-coverage-failure.png"), FullPage = true,
            });
            throw;
        }
    }

    internal const string SiteButane = """
        variant: fcos
        version: 1.4.0
        storage:
          files:
            - path: /etc/site
              contents:
                inline: "{{vars.site}}"
        """;

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

    private static async Task<Guid> AddDeviceAsync(PortalInstance portal, string hostname = "web-1")
    {
        await using var db = await portal.CreateDbAsync();
        var id = Guid.NewGuid();
        var mac = $"52:54:00:00:{id.ToByteArray()[0]:x2}:{id.ToByteArray()[1]:x2}";
        var device = new Device
        {
            Id = id, EnrollmentId = "browser-config-" + hostname, State = EnrollmentState.Approved,
            MachineId = id.ToString("N"), Hostname = hostname, Architecture = "x86_64", Kernel = "6.1",
            OsName = "Fedora CoreOS 42", OsReleaseJson = "{}", PrimaryMac = mac, AgentVersion = "1",
        };
        device.Macs.Add(new DeviceMac { Mac = mac, InterfaceName = "eth0", IsPrimary = true });
        db.Devices.Add(device);
        await db.SaveChangesAsync();
        return device.Id;
    }
}
