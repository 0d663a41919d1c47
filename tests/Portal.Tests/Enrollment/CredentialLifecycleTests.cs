using Fleet.Portal.Data;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>A device credential over its life (rotate, revoke, decommission) and the broker's abuse defences.</summary>
public sealed class CredentialLifecycleTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    private CredentialService Credentials => Portal.Services.GetRequiredService<CredentialService>();

    [Fact]
    public async Task Rotate_DeviceReconnectsWithNewSecret_OldSecretDies()
    {
        var (id, secret) = await ApprovedDevice.EnrolAsync(Portal, "rotate-me");
        var (client, _) = await TestMqttClient.ConnectAsync(Portal.MqttPort, id, id, secret);
        await using (client)
        {
            await client.SubscribeAsync(Topics.Credential(id));
            await client.PublishAsync(Topics.Status(id), new DeviceStatus(DeviceState.Online), FleetJson.Default.DeviceStatus);
            await Portal.WaitForAsync(() => Portal.FindDeviceAsync(d => d.Id == Guid.Parse(id) && d.IsOnline));

            var result = await Credentials.RotateAsync(Guid.Parse(id), TestActors.Operator, TestContext.Current.CancellationToken);
            var rotation = await ReceiveOnAsync(client, Topics.Credential(id), FleetJson.Default.CredentialRotation);

            Assert.True(result.Succeeded, result.Message);
            var (renewed, renewedCode) = await TestMqttClient.ConnectAsync(Portal.MqttPort, id, id, rotation.Secret);
            await using var _ = renewed;
            Assert.Equal(MqttClientConnectResultCode.Success, renewedCode);
        }

        var (stale, staleCode) = await TestMqttClient.ConnectAsync(Portal.MqttPort, id, id, secret);
        await using var __ = stale;
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, staleCode);
    }

    [Fact]
    public async Task Revoke_LiveSessionEndedAtOnce_CredentialRefusedAndDeviceWaitsForAPerson()
    {
        var (id, secret) = await ApprovedDevice.EnrolAsync(Portal, "revoke-me");
        var (client, _) = await TestMqttClient.ConnectAsync(Portal.MqttPort, id, id, secret);
        await using var _ = client;
        Assert.True(client.IsConnected);

        var result = await Credentials.RevokeAsync(Guid.Parse(id), TestActors.Operator, TestContext.Current.CancellationToken);

        Assert.True(result.Succeeded);
        Assert.True(result.Value, "the live session should have been ended");
        await WaitUntilAsync(() => !client.IsConnected);
        var (again, code) = await TestMqttClient.ConnectAsync(Portal.MqttPort, id, id, secret);
        await using var __ = again;
        Assert.NotEqual(MqttClientConnectResultCode.Success, code);
        var device = (await Portal.FindDeviceAsync(d => d.Id == Guid.Parse(id)))!;
        Assert.Equal(EnrollmentState.Pending, device.State);
        Assert.NotNull(device.DecidedAt);
    }

    [Fact]
    public async Task Decommission_CredentialDiesHistoryKept_SameAgentEnrolsAsNewDevice()
    {
        var (bootstrap, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = bootstrap;
        var request = TestMqttClient.Request(hostname: "decommission-me");
        await bootstrap.EnrollAsync(request);
        var device = (await Portal.FindDeviceAsync(d => d.EnrollmentId == bootstrap.ClientId))!;
        await Portal.Devices.ApproveAsync(device.Id, TestActors.Operator, TestContext.Current.CancellationToken);
        var approved = await bootstrap.ReceiveAsync(FleetJson.Default.EnrollmentResponse);

        var result = await Credentials.DecommissionAsync(device.Id, TestActors.Operator, TestContext.Current.CancellationToken);
        var (client, code) = await TestMqttClient.ConnectAsync(Portal.MqttPort, approved.DeviceId!, approved.DeviceId!, approved.Secret!);
        await using var __ = client;
        var comeback = await bootstrap.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(1) });

        Assert.True(result.Succeeded);
        Assert.NotEqual(MqttClientConnectResultCode.Success, code);
        var old = (await Portal.FindDeviceAsync(d => d.Id == device.Id))!;
        Assert.Equal(EnrollmentState.Decommissioned, old.State);
        Assert.Null(old.CredentialHash);
        Assert.Equal(EnrollmentDecision.Pending, comeback.Decision);
        var fresh = (await Portal.FindDeviceAsync(d => d.EnrollmentId == bootstrap.ClientId))!;
        Assert.NotEqual(device.Id, fresh.Id);
        Assert.Null(fresh.Conflict);
    }

    [Fact]
    public async Task EnrolmentFlood_OneClient_RateLimitedOthersServed()
    {
        var (flooder, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = flooder;
        var payload = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(TestMqttClient.Request(hostname: "flooder"), FleetJson.Default.EnrollmentRequest);
        var codes = new List<MqttClientPublishReasonCode>();
        for (var i = 0; i < 20; i++)
        {
            codes.Add(await flooder.PublishAsync(Topics.EnrollmentRequest(flooder.ClientId), payload));
        }

        var (other, __) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var ___ = other;
        var answer = await other.EnrollAsync(TestMqttClient.Request(hostname: "patient-device"));

        Assert.Contains(MqttClientPublishReasonCode.QuotaExceeded, codes);
        Assert.True(codes.Count(c => c == MqttClientPublishReasonCode.Success) <= 6, string.Join(", ", codes));
        Assert.Equal(EnrollmentDecision.Pending, answer.Decision);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains("rate-limited (per client id)", StringComparison.Ordinal) && e.Message.Contains(flooder.ClientId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task BadPasswords_RepeatedForOneDevice_ThatDeviceLockedOutOthersServedThenForgiven()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Mqtt:BadPasswordsBeforeLockout"] = "3",
            ["Fleet:Mqtt:LockoutSeconds"] = "60",
        }, time: clock);
        var (id, secret) = await ApprovedDevice.EnrolAsync(portal, "locked-out");
        var (neighbour, neighbourSecret) = await ApprovedDevice.EnrolAsync(portal, "same-site");

        var codes = new List<MqttClientConnectResultCode>();
        for (var i = 0; i < 3; i++)
        {
            var (bad, badCode) = await TestMqttClient.ConnectAsync(portal.MqttPort, id, id, $"guess-{i}");
            await bad.DisposeAsync();
            codes.Add(badCode);
        }

        var (locked, lockedCode) = await TestMqttClient.ConnectAsync(portal.MqttPort, id, id, secret);
        await locked.DisposeAsync();
        var (other, otherCode) = await TestMqttClient.ConnectAsync(portal.MqttPort, neighbour, neighbour, neighbourSecret);
        await other.DisposeAsync();
        clock.Advance(TimeSpan.FromSeconds(61));
        var (forgiven, forgivenCode) = await TestMqttClient.ConnectAsync(portal.MqttPort, id, id, secret);
        await forgiven.DisposeAsync();

        Assert.All(codes, c => Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, c));
        Assert.Equal(MqttClientConnectResultCode.Banned, lockedCode);
        Assert.Equal(MqttClientConnectResultCode.Success, otherCode);
        Assert.Equal(MqttClientConnectResultCode.Success, forgivenCode);
        await portal.Logs.WaitForAsync(e => e.Message.Contains("locked out until", StringComparison.Ordinal));
    }

    private static async Task<T> ReceiveOnAsync<T>(TestMqttClient client, string topic, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        while (true)
        {
            var message = await client.ReceiveAsync();
            if (message.Topic == topic)
            {
                return System.Text.Json.JsonSerializer.Deserialize(System.Buffers.BuffersExtensions.ToArray(message.Payload), type)!;
            }
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(50, timeout.Token);
        }
    }
}
