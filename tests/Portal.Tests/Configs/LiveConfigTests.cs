using System.Text.Json;
using Fleet.Portal.Features.Configs;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Portal.Tests.Configs;

/// <summary>Desired config over the real broker (retained, per device) and the device's config report stored.</summary>
public sealed class LiveConfigTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task AssignConfig_ApprovedDevice_GetsRetainedDesiredConfigAndItsReportIsStored()
    {
        var (deviceId, client) = await ApprovedDevice.ConnectAsync(Portal, "live-config");
        await using var _ = client;
        var device = Guid.ParseExact(deviceId, "N");
        var config = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/live", "hello {{device.hostname}}"));
        Assert.True((await Portal.Configs().AssignAsync(config, ConfigScope.Device, null, device, TestActors.Operator)).Succeeded);

        // Subscribing after the push still delivers it: the message is retained.
        await client.SubscribeAsync(Topics.Config(deviceId));
        DesiredConfig? desired = null;
        while (desired?.Ignition?.Contains("/etc/live", StringComparison.Ordinal) != true)
        {
            var message = await client.ReceiveAsync(TimeSpan.FromSeconds(15));
            if (message.Topic == Topics.Config(deviceId))
            {
                desired = JsonSerializer.Deserialize(message.Payload.FirstSpan, FleetJson.Default.DesiredConfig);
            }
        }

        Assert.Equal(128, desired.Sha512.Length);
        await client.PublishAsync(Topics.ConfigReport(deviceId), new ConfigReport(desired.Version, DateTimeOffset.UtcNow,
            [new ConfigEntryResult(ConfigEntryKind.File, "/etc/live", ConfigEntryOutcome.Applied), new ConfigEntryResult(ConfigEntryKind.Storage, "/dev/sda", ConfigEntryOutcome.NeedsReinstall, "disks")]),
            FleetJson.Default.ConfigReport);
        var stored = await Portal.WaitForAsync(async () =>
        {
            await using var db = await Portal.CreateDbAsync();
            return await db.DeviceConfigReports.AsNoTracking().SingleOrDefaultAsync(r => r.DeviceId == device);
        }, what: "the config report stored");

        Assert.Equal(desired.Version, stored.Version);
        Assert.Equal(
            [ConfigEntryOutcome.Applied, ConfigEntryOutcome.NeedsReinstall],
            ConfigReportHandler.Entries(stored).Select(e => e.Outcome));
    }

    [Fact]
    public async Task RetainedConfig_OwnWildcardSubscriptionGetsItFlaggedRetained_DecommissionForgetsIt()
    {
        var (deviceId, client) = await ApprovedDevice.ConnectAsync(Portal, "retained-config");
        await using var _ = client;
        var device = Guid.ParseExact(deviceId, "N");
        var config = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/retained", "kept"));
        Assert.True((await Portal.Configs().AssignAsync(config, ConfigScope.Device, null, device, TestActors.Operator)).Succeeded);
        await client.SubscribeAsync(Topics.Config(deviceId));
        await ReceiveConfigAsync(client, deviceId, "/etc/retained");

        // A later subscription to the device's own subtree matches the config topic: the broker's own
        // retained store hands it over again, flagged retained as MQTT requires.
        Assert.Equal(MQTTnet.MqttClientSubscribeResultCode.GrantedQoS1, await client.SubscribeAsync(Topics.DevicePrefix(deviceId) + "#"));
        var again = await ReceiveConfigAsync(client, deviceId, "/etc/retained");
        Assert.True(again.Retain);

        var broker = Portal.Services.GetRequiredService<Fleet.Portal.Messaging.SessionDelivery>();
        Assert.Single(broker.RetainedFor(deviceId));
        Assert.True((await Portal.Services.GetRequiredService<Fleet.Portal.Features.Enrollment.CredentialService>().DecommissionAsync(device, TestActors.Operator)).Succeeded);
        Assert.Empty(broker.RetainedFor(deviceId));
    }

    [Fact]
    public async Task ConfigPush_ReachesOnlyASubscribedClient_LaterSubscriptionGetsTheRetainedCopy()
    {
        var (deviceId, client) = await ApprovedDevice.ConnectAsync(Portal, "unsubscribed-config");
        await using var _ = client;
        var device = Guid.ParseExact(deviceId, "N");
        var broker = Portal.Services.GetRequiredService<Fleet.Portal.Messaging.SessionDelivery>();
        var config = await ConfigTestSupport.CreateAsync(Portal, ConfigTestSupport.Ignition("/etc/later", "later"));
        Assert.True((await Portal.Configs().AssignAsync(config, ConfigScope.Device, null, device, TestActors.Operator)).Succeeded);
        // Approval already retained a config without it; wait for the one that has it.
        await Portal.WaitForAsync(
            () => Task.FromResult(
                broker.RetainedFor(deviceId).Any(m => IsConfig(m, deviceId, "/etc/later")) ? "pushed" : null),
            what: "the config pushed");

        // Connected but not subscribed to its config topic: MQTT sends it nothing on that topic. A message on a
        // topic it is subscribed to, published after the config, arrives after anything the config push sent it.
        await client.SubscribeAsync(Topics.Settings(deviceId));
        await broker.PublishAsync(Topics.Settings(deviceId), "{}"u8.ToArray(), TestContext.Current.CancellationToken);
        for (var early = await client.ReceiveAsync(); early.Topic != Topics.Settings(deviceId);
            early = await client.ReceiveAsync())
        {
            Assert.NotEqual(Topics.Config(deviceId), early.Topic);
        }

        // Subscribing delivers the retained copy. A push of the same config that the pusher was still making (it
        // coalesces changes in the background) may reach the new subscription live, just before it.
        await client.SubscribeAsync(Topics.Config(deviceId));
        var received = await ReceiveConfigAsync(client, deviceId, "/etc/later");
        if (!received.Retain)
        {
            received = await ReceiveConfigAsync(client, deviceId, "/etc/later");
        }

        Assert.True(received.Retain);
    }

    private static async Task<MQTTnet.MqttApplicationMessage> ReceiveConfigAsync(TestMqttClient client, string deviceId, string path)
    {
        while (true)
        {
            var message = await client.ReceiveAsync(TimeSpan.FromSeconds(15));
            if (IsConfig(message, deviceId, path))
            {
                return message;
            }
        }
    }

    private static bool IsConfig(MQTTnet.MqttApplicationMessage message, string deviceId, string path) =>
        message.Topic == Topics.Config(deviceId)
        && JsonSerializer.Deserialize(message.Payload.FirstSpan, FleetJson.Default.DesiredConfig)?.Ignition?
            .Contains(path, StringComparison.Ordinal) == true;
}
