using System.Security.Cryptography;
using Fleet.DeviceAgent.Tests.Updates;
using Fleet.DeviceAgent.Updates;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// The device page's Commands card with the real agent, whose systemctl and journalctl are the fake OS's recording
/// stand-ins on its PATH: an Operator collects a journal and downloads it, restarts a unit that does not exist and
/// reads systemd's answer; a HelpDesk user sees the results and has nothing to run.
/// </summary>
public sealed class CommandsInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Operator_RunsJournalAndUnitRestart_SeesResultsLive_HelpDeskOnlyReads()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Devices:HeartbeatIntervalSeconds"] = "1",
            ["Fleet:Devices:PendingRetrySeconds"] = "1",
        });
        using var os = new FakeOs("42.1", 1_000);
        var machineId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        os.WriteHostIdentity(machineId, TestMqttClient.RandomMac());
        await File.WriteAllLinesAsync(Path.Combine(os.Directory, "journal"),
            Enumerable.Range(1, 500).Select(i => $"2026-12-07T10:00:00+0000 box sshd[1]: line {i}"));
        await File.WriteAllTextAsync(Path.Combine(os.Directory, "missing-units"), "ghost.service\n");
        const string password = "operator-password-1";
        Assert.True((await portal.Users.CreateAsync(new NewUser("otto", null, "Operator", password),
            TestActors.Admin)).Succeeded);
        Assert.True((await portal.Users.CreateAsync(new NewUser("hazel", null, "HelpDesk", password),
            TestActors.Admin)).Succeeded);

        await using var agent = await AgentHost.StartAsync(
            portal.MqttPort, hostRoot: os.Root, services: s => s.AddSingleton<IProcessRunner>(os.Runner));
        var device = await portal.WaitForAsync(
            () => portal.FindDeviceAsync(d => d.MachineId == machineId), what: "agent enrolled");
        await portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        await portal.WaitForAsync(
            () => portal.FindDeviceAsync(d => d.Id == device.Id && d.IsOnline), what: "agent online");

        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "otto", password);
            await PageActions.GotoInteractiveAsync(page, $"/devices/{device.Id}");
            var card = page.GetByTestId("commands-card");
            await Choose(page, card, "Collect journal");
            await PageActions.FillAsync(page, "command-unit", "sshd.service");
            await PageActions.FillAsync(page, "command-lines", "200");
            await PageActions.FillAsync(page, "command-reason", "ticket 42");
            await page.GetByTestId("command-run").ClickAsync();
            var journal = card.Locator("[data-testid=command-row][data-kind=journal]");
            await Assertions.Expect(journal)
                .ToHaveAttributeAsync("data-state", "Succeeded", new() { Timeout = 30_000 });
            await Assertions.Expect(journal).ToContainTextAsync("200 lines collected");
            await Assertions.Expect(journal).ToContainTextAsync("ticket 42");
            var download = await page.RunAndWaitForDownloadAsync(
                () => journal.GetByTestId("command-download").ClickAsync());
            var text = await File.ReadAllTextAsync(await download.PathAsync());
            Assert.EndsWith("line 500\n", text, StringComparison.Ordinal);
            Assert.Equal(200, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

            await Choose(page, card, "Restart unit");
            await PageActions.FillAsync(page, "command-unit", "ghost.service");
            await page.GetByTestId("command-run").ClickAsync();
            var ghost = card.Locator("[data-testid=command-row][data-kind=restart-unit]");
            await Assertions.Expect(ghost).ToHaveAttributeAsync("data-state", "Failed", new() { Timeout = 30_000 });
            await Assertions.Expect(ghost).ToContainTextAsync("exit 5");

            // A unit name that is not one is refused before anything is queued, with the field named.
            await PageActions.FillAsync(page, "command-unit", "rm -rf /");
            await page.GetByTestId("command-run").ClickAsync();
            await Assertions.Expect(page.GetByTestId("command-error")).ToContainTextAsync("arguments.unit");
            Assert.Contains("systemctl restart -- ghost.service", os.Calls);

            // Power off is not offered to an Operator on the default group.
            await card.GetByTestId("command-kind").ClickAsync();
            await Assertions.Expect(page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Power off" }))
                .ToHaveCountAsync(0);
            await page.Keyboard.PressAsync("Escape");

            // HelpDesk: the same results, nothing to run or cancel.
            await context.ClearCookiesAsync();
            await PageActions.SignInAsync(page, "hazel", password);
            await PageActions.GotoInteractiveAsync(page, $"/devices/{device.Id}");
            await Assertions.Expect(card.GetByTestId("command-row")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
            await Assertions.Expect(card.GetByTestId("command-run")).ToHaveCountAsync(0);
            await Assertions.Expect(card.GetByTestId("command-cancel")).ToHaveCountAsync(0);
        }
        finally
        {
            await page.ScreenshotAsync(
                new() { Path = Path.Combine(AppContext.BaseDirectory, "commands.png"), FullPage = true });
        }
    }

    private static async Task Choose(IPage page, ILocator card, string label)
    {
        await card.GetByTestId("command-kind").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = label }).First.ClickAsync();
    }
}
