using Fleet.Portal.Features.Power;
using Fleet.Portal.Features.Updates;
using Fleet.Portal.Features.Users;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fleet.EndToEnd.Tests;

/// <summary>
/// Power in the browser: an Admin writes a group's plan and sees its evaluations charted; an Operator wakes an
/// offline device from its page (the command goes to the device on its segment); an Operator sees the plan
/// read-only and a HelpDesk user gets no Wake button.
/// </summary>
public sealed class PowerInBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private const string Password = "power-page-password";

    [Fact]
    public async Task PlanAndWake_AdminEditsOperatorWakesHelpDeskReads()
    {
        await using var portal = await PortalInstance.StartAsync();
        foreach (var (name, role) in new[] { ("opal", "Operator"), ("hank", "HelpDesk") })
        {
            Assert.True((await portal.Users.CreateAsync(new NewUser(name, null, role, Password), TestActors.Admin))
                .Succeeded);
        }

        var (relay, relayClient) =
            await ReportingDevice.ConnectAsync(portal, "rack-relay", "52:54:00:00:0d:01", "10.4.0.5/24", cpu: 3);
        await using var _ = relayClient;
        var (sleeper, sleeperClient) =
            await ReportingDevice.ConnectAsync(portal, "rack-sleeper", "52:54:00:00:0d:02", "10.4.0.9/24");
        await ReportingDevice.OfflineAsync(portal, sleeper, sleeperClient);

        // The Admin writes a load plan for the default group.
        await using var adminContext = await NewContextAsync(portal);
        var admin = await SignedInAsync(adminContext, "admin", PortalInstance.AdminPassword);
        var power = $"/updates/groups/{DeviceGroup.DefaultId}/power";
        await PageActions.GotoInteractiveAsync(admin, power);
        await Assertions.Expect(admin.GetByTestId("power-empty")).ToBeVisibleAsync(PageActions.Visible);
        await PageActions.FillFormAsync(admin, ("power-min-on", "1"), ("power-low", "15"), ("power-high", "85"),
            ("power-hold", "20"));
        await admin.GetByTestId("power-save").ClickAsync();
        await Assertions.Expect(admin.Locator(".mud-snackbar")).ToContainTextAsync("Power plan saved",
            new() { Timeout = 30_000 });
        var plan = (await portal.Services.GetRequiredService<PowerPlanService>().GetAsync(DeviceGroup.DefaultId))!;
        Assert.Equal((PowerPlanMode.Load, 1, 15.0, 85.0, 20), (plan.Plan.Mode, plan.Plan.MinOn,
            plan.Plan.LowCpuPercent, plan.Plan.HighCpuPercent, plan.Plan.HoldMinutes));
        Assert.Equal("admin", plan.ChangedBy);

        // One evaluation later the chart has a point: two devices, one on.
        await portal.Services.GetRequiredService<PowerEvaluator>().EvaluateAsync(CancellationToken.None);
        await PageActions.GotoInteractiveAsync(admin, power);
        await Assertions.Expect(admin.GetByTestId("power-chart")).ToBeVisibleAsync(PageActions.Visible);
        await Assertions.Expect(admin.GetByTestId("power-decision")).ToContainTextAsync("load 3 %");
        await Assertions.Expect(admin.GetByTestId("power-chart").GetByTestId("chart-point")).ToHaveCountAsync(1);

        // The Operator wakes the sleeping device from its page; the plan is read-only for them.
        await using var opalContext = await NewContextAsync(portal);
        var opal = await SignedInAsync(opalContext, "opal", Password);
        await PageActions.GotoInteractiveAsync(opal, $"/devices/{sleeper}");
        await opal.GetByTestId("wake").ClickAsync();
        await Assertions.Expect(opal.Locator(".mud-snackbar")).ToContainTextAsync(
            "rack-relay sends the magic packet for 52:54:00:00:0d:02 to 10.4.0.255:9", new() { Timeout = 30_000 });
        await using (var db = await portal.CreateDbAsync())
        {
            var command = await db.DeviceCommands.AsNoTracking().SingleAsync(c => c.Kind == CommandKinds.WakeOnLan);
            Assert.Equal((relay, "opal"), (command.DeviceId, command.RequestedBy));
        }

        await PageActions.GotoInteractiveAsync(opal, power);
        await Assertions.Expect(opal.GetByTestId("power-chart")).ToBeVisibleAsync(PageActions.Visible);
        await Assertions.Expect(opal.GetByTestId("power-save")).ToHaveCountAsync(0);
        await Assertions.Expect(PageActions.Input(opal, "power-low")).ToBeDisabledAsync();

        // HelpDesk: the offline device's page has no Wake button.
        await using var hankContext = await NewContextAsync(portal);
        var hank = await SignedInAsync(hankContext, "hank", Password);
        await PageActions.GotoInteractiveAsync(hank, $"/devices/{sleeper}");
        await Assertions.Expect(hank.GetByText("rack-sleeper").First).ToBeVisibleAsync(PageActions.Visible);
        await Assertions.Expect(hank.GetByTestId("wake")).ToHaveCountAsync(0);
    }

    private Task<IBrowserContext> NewContextAsync(PortalInstance portal) => browser.Browser.NewContextAsync(
        new BrowserNewContextOptions { BaseURL = portal.BaseAddress.ToString() });

    private static async Task<IPage> SignedInAsync(IBrowserContext context, string user, string password)
    {
        var page = await context.NewPageAsync();
        await PageActions.SignInAsync(page, user, password);
        return page;
    }
}
