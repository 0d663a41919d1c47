using Fleet.Portal.Features.Alerts;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Portal.Tests.Configs;

/// <summary>A device its assigned config cannot render for gets an alert; setting the variable resolves it.</summary>
public sealed class ConfigRenderAlertTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Assign_DeviceLacksVariable_AlertOpenUntilTheVariableIsSet()
    {
        var configs = Portal.Configs();
        var alerts = Portal.Services.GetRequiredService<AlertService>();
        var group = await Updates.UpdateTestSupport.CreateGroupAsync(Portal);
        var (lacking, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "alert-b", groupId: group);
        var (fine, _) = await ConfigTestSupport.AddDeviceAsync(Portal, hostname: "alert-a", groupId: group);
        await configs.SetVariableAsync(fine, "site", "berlin", secret: false, TestActors.Operator);
        var config = await ConfigTestSupport.CreateAsync(
            Portal, ConfigTestSupport.Ignition("/etc/site", "{{vars.site}}"));

        var assigned = await configs.AssignAsync(config, ConfigScope.Group, group, null, TestActors.Operator);
        var open = await Portal.WaitForAsync(
            async () => (await alerts.ListAsync(openOnly: true, lacking)).SingleOrDefault(),
            what: "the alert on the device that lacks vars.site");
        await configs.SetVariableAsync(lacking, "site", "hamburg", secret: false, TestActors.Operator);
        await Portal.WaitForAsync(
            async () => (await alerts.ListAsync(openOnly: true, lacking)).Count == 0 ? "resolved" : null,
            what: "the alert resolved");

        Assert.Equal("renders for 1 of 2; 1 lack vars.site", assigned.Value!.Summary);
        Assert.Contains("vars.site", open.Message, StringComparison.Ordinal);
        Assert.Empty(await alerts.ListAsync(openOnly: false, fine));
        Assert.NotNull(Assert.Single(await alerts.ListAsync(openOnly: false, lacking)).ResolvedAt);
    }
}
