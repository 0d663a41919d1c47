using System.Text;
using Fleet.Portal.Data;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using MQTTnet;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>Who may connect and which topics each identity may touch, on the real embedded broker.</summary>
public sealed class BrokerSecurityTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Connect_UnknownDeviceId_RefusedAndLogged()
    {
        var id = Guid.NewGuid().ToString("N");

        var (client, code) = await TestMqttClient.ConnectAsync(Portal.MqttPort, id, id, "whatever");
        await using var _ = client;

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, code);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains("unknown device id", StringComparison.Ordinal) && e.Message.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Connect_BootstrapWithBadClientId_Refused()
    {
        var (client, code) = await TestMqttClient.ConnectAsync(Portal.MqttPort, "enroll-../../#", Topics.BootstrapUserName, string.Empty);
        await using var _ = client;

        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, code);
    }

    [Fact]
    public async Task Bootstrap_PublishToDeviceTopicOrSubscribeElsewhere_Refused()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var someDevice = Guid.NewGuid().ToString("N");
        var heartbeat = new Heartbeat(1, DateTimeOffset.UtcNow, 10, 0.1, 0.1, 0.1);

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await client.PublishAsync(Topics.Heartbeat(someDevice), heartbeat, FleetJson.Default.Heartbeat));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync(Topics.EnrollmentResponse(TestMqttClient.NewEnrollmentId())));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("fleet/enroll/+/response"));
        await Portal.Logs.WaitForAsync(e => e.Message.Contains($"Publish to {Topics.Heartbeat(someDevice)} refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Device_OtherDevicesTopicsAndWildcards_Refused()
    {
        var (device, secret) = await EnrolApprovedAsync("acl-device");
        var (client, code) = await TestMqttClient.ConnectAsync(Portal.MqttPort, device, device, secret);
        await using var _ = client;
        Assert.Equal(MqttClientConnectResultCode.Success, code);
        var other = Guid.NewGuid().ToString("N");

        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("#"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync("fleet/devices/+/settings"));
        Assert.Equal(MqttClientSubscribeResultCode.NotAuthorized, await client.SubscribeAsync(Topics.Settings(other)));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await client.PublishAsync(Topics.Heartbeat(other), Encoding.UTF8.GetBytes("{}")));
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, await client.PublishAsync(Topics.Settings(device), Encoding.UTF8.GetBytes("{}")));
        Assert.True((int)await client.SubscribeAsync(Topics.Settings(device)) <= 2);
    }

    [Fact]
    public async Task Device_WrongSecretOrClientId_Refused()
    {
        var (device, secret) = await EnrolApprovedAsync("wrong-secret");

        var (a, wrongSecret) = await TestMqttClient.ConnectAsync(Portal.MqttPort, device, device, secret + "x");
        var (b, wrongClientId) = await TestMqttClient.ConnectAsync(Portal.MqttPort, Guid.NewGuid().ToString("N"), device, secret);
        await a.DisposeAsync();
        await b.DisposeAsync();

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, wrongSecret);
        Assert.Equal(MqttClientConnectResultCode.ClientIdentifierNotValid, wrongClientId);
    }

    [Fact]
    public async Task Heartbeat_GarbageAndAbsurdValues_DroppedDeviceKeepsReporting()
    {
        var (device, secret) = await EnrolApprovedAsync("garbage-heartbeats");
        var (client, _) = await TestMqttClient.ConnectAsync(Portal.MqttPort, device, device, secret);
        await using var _ = client;
        var topic = Topics.Heartbeat(device);

        await client.PublishAsync(topic, Encoding.UTF8.GetBytes("not json at all"));
        await client.PublishAsync(topic, Encoding.UTF8.GetBytes("{\"sequence\":1}"));
        await client.PublishAsync(topic, Encoding.UTF8.GetBytes("{\"sequence\":1,\"sentAt\":\"2026-01-01T00:00:00Z\",\"uptimeSeconds\":-5,\"load1\":1,\"load5\":1,\"load15\":1}"));
        await client.PublishAsync(topic, new Heartbeat(7, DateTimeOffset.UtcNow, 1234, 0.5, 0.4, 0.3), FleetJson.Default.Heartbeat);

        await Portal.Logs.WaitForAsync(e => e.Message.Contains("malformed JSON", StringComparison.Ordinal) && e.Message.Contains(device, StringComparison.Ordinal));
        await Portal.Logs.WaitForAsync(e => e.Message.Contains("out of range", StringComparison.Ordinal) && e.Message.Contains(device, StringComparison.Ordinal));
        await using var db = await Portal.CreateDbAsync();
        var stored = db.Heartbeats.Where(h => h.DeviceId == Guid.ParseExact(device, "N")).ToList();
        var only = Assert.Single(stored);
        Assert.Equal(7, only.Sequence);
        Assert.Equal(1234, only.UptimeSeconds);
    }

    [Fact]
    public async Task Device_StatusOnlineThenDisconnect_OnlineThenOfflineWithEvents()
    {
        var (device, secret) = await EnrolApprovedAsync("presence");
        var id = Guid.ParseExact(device, "N");
        var (client, _) = await TestMqttClient.ConnectAsync(Portal.MqttPort, device, device, secret);
        await client.SubscribeAsync(Topics.Settings(device));

        await client.PublishAsync(Topics.Status(device), new DeviceStatus(DeviceState.Online), FleetJson.Default.DeviceStatus);

        var settings = await client.ReceiveAsync(FleetJson.Default.DeviceSettings);
        Assert.Equal(1, settings.HeartbeatIntervalSeconds);
        await Portal.WaitForAsync(() => Portal.FindDeviceAsync(d => d.Id == id && d.IsOnline), what: "online");

        await client.DisposeAsync();
        await Portal.WaitForAsync(() => Portal.FindDeviceAsync(d => d.Id == id && !d.IsOnline), what: "offline after disconnect");
        await using var db = await Portal.CreateDbAsync();
        var kinds = db.DeviceEvents.Where(e => e.DeviceId == id).OrderBy(e => e.Id).Select(e => e.Kind).ToList();
        Assert.Equal(["enrolment", "decision", "online", "offline"], kinds);
    }

    /// <summary>Enrols a device over the bootstrap channel and approves it; returns its id and secret.</summary>
    private async Task<(string DeviceId, string Secret)> EnrolApprovedAsync(string hostname)
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        await client.EnrollAsync(TestMqttClient.Request(hostname: hostname));
        var device = (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;
        await Portal.Devices.ApproveAsync(device.Id, TestActors.Operator);
        var response = await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse);
        Assert.Equal(EnrollmentDecision.Approved, response.Decision);
        return (response.DeviceId!, response.Secret!);
    }
}
