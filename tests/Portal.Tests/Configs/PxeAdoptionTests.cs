using System.Net;
using Fleet.Portal.Data;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared.Messages;

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
}
