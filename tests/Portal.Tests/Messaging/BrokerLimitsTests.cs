using System.Net;
using System.Text.Json;
using Fleet.Portal.Messaging;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>
/// The broker's limits on one client, on the real broker: budgets, timeouts, keep-alive, subscriptions, rates, QoS 2.
/// </summary>
public sealed class BrokerLimitsTests
{
    [Fact]
    public async Task Connections_OverTheTotalBudget_ClosedOnAcceptUntilOneLeaves()
    {
        await using var portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?> { ["Fleet:Mqtt:MaxConnections"] = "10" });
        var budget = portal.Services.GetRequiredService<ConnectionBudget>();
        var sessions = new List<RawMqtt>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                var session = await RawMqtt.OpenAsync(portal.MqttPort, new IPAddress([127, 0, 5, (byte)(i + 1)]));
                sessions.Add(session);
                Assert.Equal(0, await BootstrapAsync(session));
            }

            await using (var over = await RawMqtt.OpenAsync(portal.MqttPort))
            {
                await over.WaitClosedAsync();
            }

            await portal.Logs.WaitForAsync(e => e.Message.Contains("connection budget full", StringComparison.Ordinal));
            await sessions[0].DisposeAsync();
            await Eventually.TrueAsync(() => budget.Counts.Total == 9);
            await using var next = await RawMqtt.OpenAsync(portal.MqttPort);
            Assert.Equal(0, await BootstrapAsync(next));
        }
        finally
        {
            foreach (var session in sessions)
            {
                await session.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Connect_NothingSent_ClosedAfterTheConnectTimeout()
    {
        await using var portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?> { ["Fleet:Mqtt:ConnectTimeoutSeconds"] = "1" });
        await using var idle = await RawMqtt.OpenAsync(portal.MqttPort);

        await idle.WaitClosedAsync();

        await portal.Logs.WaitForAsync(e => e.Message.Contains("no CONNECT within 1 s", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => portal.Services.GetRequiredService<ConnectionBudget>().Counts.Total == 0);
    }

    [Fact]
    public async Task Connect_KeepAliveZeroOrOverTheBootstrapMaximum_Refused()
    {
        await using var portal = await PortalInstance.StartAsync();

        await using (var none = await RawMqtt.OpenAsync(portal.MqttPort))
        {
            Assert.NotEqual(0, await BootstrapAsync(none, keepAlive: 0));
        }

        await using (var tooLong = await RawMqtt.OpenAsync(portal.MqttPort))
        {
            Assert.NotEqual(0, await BootstrapAsync(tooLong, keepAlive: 301));
        }

        await using var longest = await RawMqtt.OpenAsync(portal.MqttPort);
        Assert.Equal(0, await BootstrapAsync(longest, keepAlive: 300));
        await portal.Logs.WaitForAsync(e => e.Message.Contains("keep-alive 0 (no timeout) is not allowed",
            StringComparison.Ordinal));
        await portal.Logs.WaitForAsync(e => e.Message.Contains("keep-alive 301 s is over the 300 s allowed",
            StringComparison.Ordinal));
    }

    [Fact]
    public async Task Subscribe_MoreFiltersThanTheMaximum_QuotaExceeded()
    {
        await using var portal = await PortalInstance.StartAsync(
            new Dictionary<string, string?> { ["Fleet:Mqtt:MaxSubscriptionsPerClient"] = "4" });
        var (id, client) = await ApprovedDevice.ConnectAsync(portal, "subscriber");
        await using var _ = client;

        // ApprovedDevice's client holds no filters yet; the agent's own are under its device prefix.
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1,
                await client.SubscribeAsync($"{Topics.DevicePrefix(id)}x{i}"));
        }

        Assert.Equal(MqttClientSubscribeResultCode.QuotaExceeded,
            await client.SubscribeAsync($"{Topics.DevicePrefix(id)}x4"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1,
            await client.SubscribeAsync($"{Topics.DevicePrefix(id)}x0"));
    }

    [Fact]
    public async Task Heartbeat_Flood_RefusedAfterBurst_OtherDevicesUnaffected()
    {
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Mqtt:DeviceMessageBurst"] = "5",
            ["Fleet:Mqtt:DeviceMessagesPerMinute"] = "1",
        });
        var (flooder, client) = await ApprovedDevice.ConnectAsync(portal, "flooder");
        await using var _ = client;
        var (other, otherClient) = await ApprovedDevice.ConnectAsync(portal, "bystander");
        await using var __ = otherClient;

        var codes = new List<MqttClientPublishReasonCode>();
        for (var i = 0; i < 8; i++)
        {
            codes.Add(await client.PublishAsync(Topics.Heartbeat(flooder), Heartbeat(i), FleetJson.Default.Heartbeat));
        }

        Assert.Equal([.. Enumerable.Repeat(MqttClientPublishReasonCode.Success, 5),
            .. Enumerable.Repeat(MqttClientPublishReasonCode.QuotaExceeded, 3)], codes);
        Assert.Equal(MqttClientPublishReasonCode.Success, await client.PublishAsync(Topics.Status(flooder),
            new DeviceStatus(DeviceState.Online), FleetJson.Default.DeviceStatus));
        Assert.Equal(MqttClientPublishReasonCode.Success, await otherClient.PublishAsync(Topics.Heartbeat(other),
            Heartbeat(1), FleetJson.Default.Heartbeat));
        await using var db = await portal.CreateDbAsync();
        var flooderId = Guid.ParseExact(flooder, "N");
        Assert.Equal(5, await db.Heartbeats.CountAsync(h => h.DeviceId == flooderId,
            TestContext.Current.CancellationToken));
        await portal.Logs.WaitForAsync(e =>
            e.Message.Contains($"Heartbeat messages from device {flooder} refused", StringComparison.Ordinal));

        // Three refusals, one line: the others are counted for the next line, a minute later.
        Assert.Single(portal.Logs.Entries, e =>
            e.Message.Contains($"Heartbeat messages from device {flooder} refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Qos2_ResentWithDupBeforePubRel_StoredOnce()
    {
        await using var portal = await PortalInstance.StartAsync();
        var (id, secret) = await ApprovedDevice.EnrolAsync(portal, "exactly-once");
        await using var raw = await RawMqtt.OpenAsync(portal.MqttPort);
        await raw.ConnectAsync(id, id, secret);
        var (connAck, accepted) = await raw.ReadPacketAsync();
        Assert.Equal(0x20, connAck);
        Assert.Equal([0, 0], accepted);
        var payload = JsonSerializer.SerializeToUtf8Bytes(Heartbeat(1), FleetJson.Default.Heartbeat);

        await raw.PublishQos2Async(Topics.Heartbeat(id), payload, packetId: 7, dup: false);
        Assert.Equal(0x50, (await raw.ReadPacketAsync()).Header);   // PUBREC
        await raw.PublishQos2Async(Topics.Heartbeat(id), payload, packetId: 7, dup: true);
        Assert.Equal(0x50, (await raw.ReadPacketAsync()).Header);
        await raw.PubRelAsync(7);
        Assert.Equal(0x70, (await raw.ReadPacketAsync()).Header);   // PUBCOMP
        await raw.PublishQos2Async(Topics.Heartbeat(id), payload, packetId: 7, dup: false);   // released: a new message
        Assert.Equal(0x50, (await raw.ReadPacketAsync()).Header);

        await using var db = await portal.CreateDbAsync();
        var deviceId = Guid.ParseExact(id, "N");
        Assert.Equal(2, await db.Heartbeats.CountAsync(h => h.DeviceId == deviceId,
            TestContext.Current.CancellationToken));
    }

    /// <summary>A bootstrap CONNECT on <paramref name="session"/>; returns the CONNACK's return code.</summary>
    private static async Task<byte> BootstrapAsync(RawMqtt session, ushort keepAlive = 60)
    {
        await session.ConnectAsync(TestMqttClient.NewEnrollmentId(), Topics.BootstrapUserName, string.Empty, keepAlive);
        var (header, body) = await session.ReadPacketAsync();
        Assert.Equal(0x20, header);
        return body[1];
    }

    private static Heartbeat Heartbeat(long sequence) =>
        new(sequence, DateTimeOffset.UtcNow, 10 + sequence, 0.1, 0.1, 0.1);
}
