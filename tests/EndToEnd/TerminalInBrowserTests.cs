using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Security;
using Fleet.Portal.Features.Terminal;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// The browser terminal end to end: the real portal, the real agent on this machine and its shell. An Admin turns the
/// terminal on for the device's group, opens it from the device page and gets 42 for <c>echo $((6*7))</c>; an
/// Operator and a help-desk user get no terminal button, cannot turn the switch, and are refused by the API and the
/// service.
/// </summary>
public sealed partial class TerminalInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static readonly LocatorAssertionsToBeDisabledOptions Within = new() { Timeout = 30_000 };

    private static readonly LocatorAssertionsToContainTextOptions Shown = new() { Timeout = 30_000 };

    [Fact]
    public async Task Terminal_AdminTypesArithmetic_Sees42_OperatorAndHelpDeskRefused()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
            ["Fleet:Devices:PendingRetrySeconds"] = "1",
        });
        const string password = "terminal-test-password-1";
        foreach (var (name, role) in new[] { ("olga", Roles.Operator), ("hazel", Roles.HelpDesk) })
        {
            var created = await portal.Users.CreateAsync(new NewUser(name, null, role, password), TestActors.Admin);
            Assert.Equal(OutcomeKind.Done, created.Kind);
        }

        await using var agent = await AgentHost.StartAsync(portal.MqttPort);
        var machineId = (await File.ReadAllTextAsync("/etc/machine-id")).Trim();
        var device = await portal.WaitForAsync(() => portal.FindDeviceAsync(d => d.MachineId == machineId),
            what: "agent enrolled");
        await portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        await portal.WaitForAsync(() => portal.FindDeviceAsync(d => d.Id == device.Id && d.IsOnline),
            what: "agent online");

        await using (var context = await NewContextAsync(portal))
        {
            var page = await context.NewPageAsync();
            try
            {
                await PageActions.SignInAsync(page, "admin", PortalInstance.AdminPassword);

                // Off by default: the button is there for an Admin, but disabled.
                await PageActions.GotoInteractiveAsync(page, $"/devices/{device.Id}");
                await Assertions.Expect(page.GetByTestId("open-terminal")).ToBeDisabledAsync(Within);

                await PageActions.GotoInteractiveAsync(page, "/updates/groups");
                var row = page.Locator("tr", new() { HasText = "default" });
                await row.GetByTestId("group-terminal").Locator("input[type=checkbox]").ClickAsync();
                await Assertions.Expect(row.GetByTestId("group-terminal")).ToContainTextAsync("on", Shown);

                await PageActions.GotoInteractiveAsync(page, $"/devices/{device.Id}");
                await page.GetByTestId("open-terminal").ClickAsync();
                await Assertions.Expect(page.GetByTestId("terminal-state")).ToContainTextAsync("Open until",
                    new() { Timeout = 30_000 });
                await Assertions.Expect(page.GetByTestId("terminal").Locator(".xterm-rows > div",
                    new() { HasTextRegex = Prompt() }).First).ToBeVisibleAsync(PageActions.Visible);
                await page.GetByTestId("terminal").ClickAsync();
                await page.Keyboard.TypeAsync("echo $((6*7))");
                await page.Keyboard.PressAsync("Enter");

                var answer = page.GetByTestId("terminal")
                    .Locator(".xterm-rows > div", new() { HasTextRegex = Answer() });
                await Assertions.Expect(answer.First).ToBeVisibleAsync(PageActions.Visible);
                await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "terminal.png") });

                await page.GetByTestId("terminal-close").ClickAsync();
                await Assertions.Expect(page.GetByTestId("terminal")).ToHaveCountAsync(0, new() { Timeout = 30_000 });
            }
            catch
            {
                await page.ScreenshotAsync(new()
                {
                    Path = Path.Combine(AppContext.BaseDirectory, "terminal-failure.png"),
                    FullPage = true,
                });
                throw;
            }
        }

        await portal.WaitForAsync(() => EndedAsync(portal, device.Id), what: "session end audited");
        foreach (var (name, role) in new[] { ("olga", Roles.Operator), ("hazel", Roles.HelpDesk) })
        {
            await AssertRefusedAsync(portal, device.Id, name, role, password);
        }
    }

    /// <summary>No button, no switch to turn, and a refusal from the API and from the service behind the page.
    /// </summary>
    private async Task AssertRefusedAsync(
        PortalInstance portal, Guid deviceId, string name, string role, string password)
    {
        await using (var context = await NewContextAsync(portal))
        {
            var page = await context.NewPageAsync();
            await PageActions.SignInAsync(page, name, password);
            await PageActions.GotoInteractiveAsync(page, $"/devices/{deviceId}");
            await Assertions.Expect(page.GetByTestId("device-status"))
                .ToHaveTextAsync("Online", new() { Timeout = 30_000 });
            await Assertions.Expect(page.GetByTestId("open-terminal")).ToHaveCountAsync(0);

            await PageActions.GotoInteractiveAsync(page, "/updates/groups");
            var row = page.Locator("tr", new() { HasText = "default" });
            await Assertions.Expect(row.GetByTestId("group-terminal")).ToContainTextAsync("on", Shown);
            await Assertions.Expect(row.GetByTestId("group-terminal").Locator("input[type=checkbox]"))
                .ToBeDisabledAsync();
        }

        using var http = ApiTokens.Http(portal, await ApiTokens.GetTokenAsync(portal, role));
        using var put = await http.PutAsJsonAsync("/api/v1/updates/groups/1/terminal", new TerminalSwitchDto(false));
        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);

        var actor = TestActors.User(name, role);
        var open = await portal.Services.GetRequiredService<TerminalService>().OpenAsync(deviceId, 80, 24, actor);
        Assert.Equal(OutcomeKind.Forbidden, open.Result.Kind);
        await using var db = await portal.CreateDbAsync();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Actor == name && a.Action == "terminal.open"
            && a.Outcome == AuditOutcome.Denied));
    }

    private async Task<IBrowserContext> NewContextAsync(PortalInstance portal) =>
        await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });

    private static async Task<string?> EndedAsync(PortalInstance portal, Guid deviceId)
    {
        await using var db = await portal.CreateDbAsync();
        var key = deviceId.ToString("N");
        return await db.AuditEntries.Where(a => a.Action == "terminal.end" && a.EntityId == key
            && a.Actor == "admin").Select(a => a.Detail).FirstOrDefaultAsync() is { } detail
            && detail.Contains("closed by admin", StringComparison.Ordinal)
            && await db.AuditEntries.AnyAsync(a => a.Action == "group.terminal" && a.Actor == "admin")
            ? detail : null;
    }

    // "42" alone on a row, or after a prompt the shell printed late: not the echoed command line.
    [GeneratedRegex(@"^\s*([#$]\s)?42\s*$")]
    private static partial Regex Answer();

    // The shell's prompt (root's or a user's), which a person waits for before typing.
    [GeneratedRegex(@"[#$]\s*$")]
    private static partial Regex Prompt();
}
