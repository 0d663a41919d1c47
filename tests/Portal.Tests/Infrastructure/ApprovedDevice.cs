using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Infrastructure;

/// <summary>A device enrolled over the bootstrap channel and approved, for tests that start at the device session.</summary>
public static class ApprovedDevice
{
    /// <summary>Enrols a device and approves it; returns its id and secret.</summary>
    public static async Task<(string DeviceId, string Secret)> EnrolAsync(PortalInstance portal, string hostname = "test-host")
    {
        var response = await ApproveAsync(portal, hostname);
        return (response.DeviceId!, response.Secret!);
    }

    /// <summary>
    /// Enrols a device and approves it; returns the portal's Approved answer (with a certificate for
    /// <paramref name="certificateRequest"/>'s key when one is given).
    /// </summary>
    public static async Task<EnrollmentResponse> ApproveAsync(
        PortalInstance portal, string hostname = "test-host", string? certificateRequest = null)
    {
        ArgumentNullException.ThrowIfNull(portal);
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request(hostname: hostname) with
        {
            CertificateRequest = certificateRequest,
        });
        var device = (await portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;
        await portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        var response = await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse);
        Assert.Equal(EnrollmentDecision.Approved, response.Decision);
        return response;
    }

    /// <summary>Enrols, approves and connects as the device.</summary>
    public static async Task<(string DeviceId, TestMqttClient Client)> ConnectAsync(PortalInstance portal, string hostname = "test-host")
    {
        var (id, secret) = await EnrolAsync(portal, hostname);
        var (client, code) = await TestMqttClient.ConnectAsync(portal.MqttPort, id, id, secret);
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.Success, code);
        return (id, client);
    }
}
