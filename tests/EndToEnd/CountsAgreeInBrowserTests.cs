using Fleet.Portal.Data;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// A fact shown in two places reads the same in both: a group's device count on /updates/groups and in the rollout
/// view; a device's Zincati node id in its OS-updates and Updates cards; its uptime on the device page and the
/// help-desk card; its OS version under the OS header; its IP address on the device page.
/// </summary>
public sealed class CountsAgreeInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Address = "192.0.2.17";

    [Fact]
    public async Task Operator_OpensPagesShowingTheSameFacts_TheyAgree()
    {
        await using var portal = await PortalInstance.StartAsync();
        const string password = "counts-agree-password-1";
        Assert.True((await portal.Users.CreateAsync(
            new NewUser("cara", null, "Operator", password), TestActors.Admin)).Succeeded);
        var approved = await AddDeviceAsync(portal, "counted-1", EnrollmentState.Approved);
        await AddDeviceAsync(portal, "waiting-1", EnrollmentState.Pending);   // in the group, not counted
        var stream = (await portal.Services.GetRequiredService<UpdateService>().GetSettingsAsync()).DefaultStream;
        var nodeId = NodeUuid.FromMachineId(approved.MachineId);
        Assert.NotNull(nodeId);

        await using var context = await browser.Browser.NewContextAsync(
            new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });
        var page = await context.NewPageAsync();
        try
        {
            await PageActions.SignInAsync(page, "cara", password);
            await PageActions.GotoInteractiveAsync(page, "/updates/groups");
            var groupRow = page.GetByRole(AriaRole.Row).Filter(new() { HasText = DeviceGroup.DefaultName });
            await Assertions.Expect(groupRow.GetByTestId("group-devices")).ToHaveTextAsync("1", Long);

            await PageActions.GotoInteractiveAsync(page, $"/updates/streams/{stream}/rollout");
            await Assertions.Expect(page.GetByTestId("assigned-devices")).ToHaveTextAsync("1", Long);
            await Assertions.Expect(page.GetByTestId("group-row").Filter(new() { HasText = DeviceGroup.DefaultName })
                .GetByTestId("group-devices")).ToHaveTextAsync("1");

            await PageActions.GotoInteractiveAsync(page, $"/devices/{approved.Id}");
            await Assertions.Expect(page.GetByTestId("device-address")).ToHaveTextAsync(Address, Long);
            await Assertions.Expect(page.GetByTestId("device-uptime")).ToHaveTextAsync("16 d 0 h");
            await Assertions.Expect(page.GetByTestId("os-updates").GetByTestId("node-id")).ToHaveTextAsync(nodeId);
            var nodeRows = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "Zincati node" });
            await Assertions.Expect(nodeRows).ToHaveCountAsync(2);
            foreach (var row in await nodeRows.AllAsync())
            {
                await Assertions.Expect(row).ToContainTextAsync(nodeId);
            }

            await PageActions.GotoInteractiveAsync(page, "/helpdesk");
            await PageActions.FillAsync(page, "helpdesk-search", "counted-1");
            await page.GetByTestId("helpdesk-go").ClickAsync();
            var card = page.GetByTestId("health-card");
            await Assertions.Expect(card.GetByRole(AriaRole.Row).Filter(new() { HasText = "Uptime" }))
                .ToContainTextAsync("16 d 0 h", new() { Timeout = 30_000 });
            await Assertions.Expect(card.GetByTestId("booted-version"))
                .ToHaveTextAsync("42.20260101.3.0 (os-release at enrolment; no deployment report yet)");
        }
        catch
        {
            await page.ScreenshotAsync(new()
            {
                Path = Path.Combine(AppContext.BaseDirectory, "counts-failure.png"), FullPage = true,
            });
            throw;
        }
    }

    private static readonly LocatorAssertionsToHaveTextOptions Long = new() { Timeout = 30_000 };

    /// <summary>A device row written straight to the database, up 16 days, 2 minutes and 53 seconds.</summary>
    internal static async Task<Device> AddDeviceAsync(PortalInstance portal, string hostname, EnrollmentState state)
    {
        var id = Guid.NewGuid();
        var mac = $"52:54:00:01:{id.ToByteArray()[0]:x2}:{id.ToByteArray()[1]:x2}";
        var device = new Device
        {
            Id = id, EnrollmentId = "counts-" + hostname, State = state, MachineId = id.ToString("N"),
            Hostname = hostname, Architecture = "x86_64", Kernel = "6.1", OsName = "Fedora CoreOS 42.20260101.3.0",
            OsReleaseJson = """{"ID":"fedora","VERSION_ID":"42","OSTREE_VERSION":"42.20260101.3.0"}""",
            PrimaryMac = mac, AgentVersion = "1", LastAddress = Address,
            UptimeSeconds = TimeSpan.Parse("16:00:02:53", System.Globalization.CultureInfo.InvariantCulture)
                .TotalSeconds,
        };
        device.Macs.Add(new DeviceMac { Mac = mac, InterfaceName = "eth0", IsPrimary = true });
        await using var db = await portal.CreateDbAsync();
        db.Devices.Add(device);
        await db.SaveChangesAsync();
        return device;
    }
}
