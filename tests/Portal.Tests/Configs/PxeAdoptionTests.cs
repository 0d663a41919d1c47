using System.Net;
using System.Text.Json.Nodes;
using Fleet.Portal.Data;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Portal.Tests.Updates;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Configs;

/// <summary>
/// The Zezere flow: an unknown machine asks for its Ignition config by MAC (Pending record), is installed,
/// and its agent enrols. The agent takes over that record; it does not become a second device or a conflict.
/// </summary>
public sealed class PxeAdoptionTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task AgentEnrols_AfterIgnitionFetchByMac_AdoptsTheRecord_ApprovalAgainNeeded()
    {
        var mac = TestMqttClient.RandomMac();
        using (var http = new HttpClient { BaseAddress = Portal.BaseAddress })
        using (var response = await http.GetAsync(new Uri($"/ignition?mac={mac}", UriKind.Relative), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var placeholder = await Portal.WaitForAsync(() => Portal.FindDeviceAsync(d => d.PrimaryMac == mac), what: "the Pending record from /ignition");
        Assert.Equal(OutcomeKind.Done, (await Portal.Devices.ApproveAsync(placeholder.Id, TestActors.Operator)).Kind);

        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var response2 = await client.EnrollAsync(TestMqttClient.Request(hostname: "installed", macs: [mac, TestMqttClient.RandomMac()]));

        // The approval at PXE time covered the config; a forged MAC must not earn a credential by itself.
        Assert.Equal(EnrollmentDecision.Pending, response2.Decision);
        await using var db = await Portal.CreateDbAsync();
        var withMac = db.DeviceMacs.Where(m => m.Mac == mac).Select(m => m.DeviceId).ToList();
        var device = db.Devices.Single(d => d.Id == placeholder.Id);
        Assert.Equal([placeholder.Id], withMac);
        Assert.Equal((client.ClientId, "installed", EnrollmentState.Pending, (string?)null), (device.EnrollmentId, device.Hostname, device.State, device.Conflict));
        Assert.Contains(db.AuditEntries, a => a.Action == "device.adopt" && a.EntityId == placeholder.Id.ToString("N"));
    }

    [Fact]
    public async Task PreRegisteredMac_FirstFetch_GroupConfigForAPendingDeviceTheAgentThenAdopts()
    {
        var mac = TestMqttClient.RandomMac();
        var groupId = await UpdateTestSupport.CreateGroupAsync(Portal);
        var group = await UpdateTestSupport.GroupNameAsync(Portal, groupId);
        var config = await ConfigTestSupport.CreateAsync(
            Portal, ConfigTestSupport.Ignition("/etc/site", "{{device.hostname}}\n"));
        Assert.True((await Portal.Configs()
            .AssignAsync(config, ConfigScope.Group, groupId, null, TestActors.Operator)).Succeeded);
        Assert.True((await Portal.Services.GetRequiredService<EnrollmentService>().AddPreRegistrationAsync(
            new PreRegistrationInput(mac, Hostname: "edge-prereg", Group: group), TestActors.Operator)).Succeeded);

        using var http = new HttpClient { BaseAddress = Portal.BaseAddress };
        using var response = await http.GetAsync(
            new Uri($"/ignition?mac={mac}", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var served = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        var site = served["storage"]!["files"]!.AsArray().Single(f => (string)f!["path"]! == "/etc/site")!;
        Assert.Equal("data:,edge-prereg%0A", (string)site["contents"]!["source"]!);
        await using var db = await Portal.CreateDbAsync();
        var device = await db.Devices.AsNoTracking().SingleAsync(d => d.Macs.Any(m => m.Mac == mac));
        Assert.Equal(
            (EnrollmentState.Pending, groupId, "edge-prereg"), (device.State, device.GroupId, device.Hostname));

        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request(hostname: "installed", macs: [mac]));
        await using var after = await Portal.CreateDbAsync();
        Assert.Equal([device.Id], await after.DeviceMacs
            .Where(m => m.Mac == mac)
            .Select(m => m.DeviceId)
            .ToListAsync());
        Assert.Equal(client.ClientId, (await after.Devices.SingleAsync(d => d.Id == device.Id)).EnrollmentId);
    }

    [Fact]
    public async Task PreRegisteredMac_BootScript_MakesTheDeviceAndRecordsItsArchitecture()
    {
        var mac = TestMqttClient.RandomMac();
        Assert.True((await Portal.Services.GetRequiredService<EnrollmentService>().AddPreRegistrationAsync(
            new PreRegistrationInput(mac, Hostname: "edge-pxe"), TestActors.Operator)).Succeeded);

        using var http = new HttpClient { BaseAddress = Portal.BaseAddress };
        var script = await http.GetStringAsync(
            new Uri($"/boot.ipxe?mac={mac}&arch=arm64", UriKind.Relative), TestContext.Current.CancellationToken);

        Assert.DoesNotContain("no device has MAC", script, StringComparison.Ordinal);
        await using var db = await Portal.CreateDbAsync();
        var device = await db.Devices.AsNoTracking().SingleAsync(d => d.Macs.Any(m => m.Mac == mac));
        Assert.Equal(
            ("edge-pxe", "aarch64", EnrollmentState.Pending), (device.Hostname, device.Architecture, device.State));
    }
}
