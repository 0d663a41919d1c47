using System.Text;
using Fleet.Portal.Data;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;

namespace Fleet.Portal.Tests.Messaging;

/// <summary>Enrolment over the real embedded broker, driven by a plain MQTT client: good and bad input.</summary>
public sealed class EnrollmentProtocolTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Enroll_NewDevice_RecordedPendingWithAllIdentities()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var request = TestMqttClient.Request(hostname: "multi-nic", macs: [TestMqttClient.RandomMac(), TestMqttClient.RandomMac().ToUpperInvariant().Replace(':', '-')]);

        var response = await client.EnrollAsync(request);

        Assert.Equal(EnrollmentDecision.Pending, response.Decision);
        Assert.Null(response.Secret);
        var device = await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId);
        Assert.NotNull(device);
        Assert.Equal(EnrollmentState.Pending, device.State);
        Assert.Equal(2, device.Macs.Count);
        Assert.Equal(request.Interfaces[0].Mac, device.PrimaryMac);
        MacAddress.TryNormalize(request.Interfaces[1].Mac, out var second);
        Assert.Contains(device.Macs, m => m.Mac == second && !m.IsPrimary);
        Assert.Equal("Fedora CoreOS 41", device.OsName);
    }

    [Fact]
    public async Task Enroll_MalformedJson_InvalidWithLocationAndOthersUnaffected()
    {
        var (bad, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = bad;

        var response = await bad.EnrollAsync(Encoding.UTF8.GetBytes("{\"protocolVersion\": 1, \"machineId\": [}"));

        Assert.Equal(EnrollmentDecision.Invalid, response.Decision);
        Assert.Contains("malformed JSON at $.machineId", response.Reason, StringComparison.Ordinal);
        await Portal.Logs.WaitForAsync(e => e.Level == LogLevel.Warning && e.Message.Contains(bad.ClientId, StringComparison.Ordinal) && e.Message.Contains("malformed JSON", StringComparison.Ordinal));
        Assert.Null(await Portal.FindDeviceAsync(d => d.EnrollmentId == bad.ClientId));
        await AssertAnotherDeviceCanEnrollAsync();
    }

    [Fact]
    public async Task Enroll_MissingAndInvalidFields_InvalidNamingEachField()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var request = TestMqttClient.Request(machineId: "not-a-machine-id", macs: "zz:zz:zz:zz:zz:zz") with { Hostname = new string('h', 300) };

        var response = await client.EnrollAsync(request);

        Assert.Equal(EnrollmentDecision.Invalid, response.Decision);
        Assert.Contains("machineId:", response.Reason, StringComparison.Ordinal);
        Assert.Contains("hostname: 300 characters", response.Reason, StringComparison.Ordinal);
        Assert.Contains("interfaces[0].mac", response.Reason, StringComparison.Ordinal);

        var missing = await client.EnrollAsync(Encoding.UTF8.GetBytes("{\"protocolVersion\":1}"));
        Assert.Equal(EnrollmentDecision.Invalid, missing.Decision);
        Assert.Contains("missing required properties", missing.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Enroll_OversizedPayload_DroppedAndLoggedConnectionKept()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var huge = new byte[Protocol.MaxPayloadBytes + 1];
        huge.AsSpan().Fill((byte)' ');

        var code = await client.PublishAsync(Topics.EnrollmentRequest(client.ClientId), huge);

        Assert.Equal(MQTTnet.MqttClientPublishReasonCode.PayloadFormatInvalid, code);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains($"{Protocol.MaxPayloadBytes + 1} bytes is over", StringComparison.Ordinal));
        Assert.True(client.IsConnected);
        var response = await client.EnrollAsync(TestMqttClient.Request());
        Assert.Equal(EnrollmentDecision.Pending, response.Decision);
    }

    [Fact]
    public async Task Enroll_AfterApproval_ReceivesCredentialAndCanConnectAsDevice()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var request = TestMqttClient.Request(hostname: "approve-me");
        Assert.Equal(EnrollmentDecision.Pending, (await client.EnrollAsync(request)).Decision);
        var device = (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;

        Assert.Equal(OutcomeKind.Done, (await Portal.Devices.ApproveAsync(device.Id, TestActors.Operator)).Kind);
        var pushed = await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse);

        Assert.Equal(EnrollmentDecision.Approved, pushed.Decision);
        Assert.Equal(device.Id.ToString("N"), pushed.DeviceId);
        var stored = (await Portal.FindDeviceAsync(d => d.Id == device.Id))!;
        Assert.NotNull(stored.CredentialHash);
        Assert.DoesNotContain(pushed.Secret!, Convert.ToBase64String(stored.CredentialHash), StringComparison.Ordinal);

        var (deviceClient, code) = await TestMqttClient.ConnectAsync(Portal.MqttPort, pushed.DeviceId!, pushed.DeviceId!, pushed.Secret!);
        await using var __ = deviceClient;
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.Success, code);

        // Asking again (the agent missed the push) with its enrolment key re-issues a fresh credential; the old
        // one dies when the device connects with the new one.
        var again = await client.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(1) });
        Assert.Equal(EnrollmentDecision.Approved, again.Decision);
        Assert.NotEqual(pushed.Secret, again.Secret);
        var (renewed, renewedCode) = await TestMqttClient.ConnectAsync(Portal.MqttPort, again.DeviceId!, again.DeviceId!, again.Secret!);
        await using var ____ = renewed;
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.Success, renewedCode);
        var (stale, staleCode) = await TestMqttClient.ConnectAsync(Portal.MqttPort, pushed.DeviceId!, pushed.DeviceId!, pushed.Secret!);
        await using var ___ = stale;
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.BadUserNameOrPassword, staleCode);
    }

    [Fact]
    public async Task Enroll_RejectedDeviceRetrying_StaysRejectedWithLoggedReason()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var request = TestMqttClient.Request(hostname: "reject-me");
        await client.EnrollAsync(request);
        var device = (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;
        await Portal.Devices.RejectAsync(device.Id, TestActors.Operator);
        Assert.Equal(EnrollmentDecision.Rejected, (await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse)).Decision);

        var retry = await client.EnrollAsync(request);

        Assert.Equal(EnrollmentDecision.Rejected, retry.Decision);
        Assert.Contains("rejected by tester", retry.Reason, StringComparison.Ordinal);
        Assert.Null(retry.Secret);
        await Portal.Logs.WaitForAsync(e => e.Message.Contains("Rejected device", StringComparison.Ordinal) && e.Message.Contains("reject-me", StringComparison.Ordinal) && e.Message.Contains("still rejected", StringComparison.Ordinal));

        // A new enrolment id from the same machine does not escape the rejection either.
        var (fresh, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var __ = fresh;
        Assert.Equal(EnrollmentDecision.Rejected, (await fresh.EnrollAsync(request)).Decision);
    }

    [Fact]
    public async Task Enroll_AnotherDevicesMac_FlaggedAsConflictNotMerged()
    {
        var sharedMac = TestMqttClient.RandomMac();
        var (first, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = first;
        await first.EnrollAsync(TestMqttClient.Request(hostname: "original", macs: sharedMac));
        var (second, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var __ = second;

        var response = await second.EnrollAsync(TestMqttClient.Request(hostname: "impostor", macs: sharedMac));

        Assert.Equal(EnrollmentDecision.Pending, response.Decision);
        var original = (await Portal.FindDeviceAsync(d => d.EnrollmentId == first.ClientId))!;
        var impostor = (await Portal.FindDeviceAsync(d => d.EnrollmentId == second.ClientId))!;
        AssertNamesNoOtherDevice(response, original);
        Assert.NotEqual(original.Id, impostor.Id);
        Assert.Null(original.Conflict);
        Assert.Contains($"MAC {sharedMac} already belongs to device original", impostor.Conflict, StringComparison.Ordinal);
        await Portal.Logs.WaitForAsync(e => e.Level == LogLevel.Warning && e.Message.Contains("flagged, not merged", StringComparison.Ordinal) && e.Message.Contains("impostor", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Enroll_SameMachineIdNewEnrollmentId_NewPendingDeviceFlaggedOldUntouched()
    {
        var request = TestMqttClient.Request(hostname: "golden-image");
        var (first, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = first;
        await first.EnrollAsync(request);
        var original = (await Portal.FindDeviceAsync(d => d.EnrollmentId == first.ClientId))!;
        await Portal.Devices.ApproveAsync(original.Id, TestActors.Operator);
        var (clone, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var __ = clone;

        var response = await clone.EnrollAsync(request with { Interfaces = [new("eth0", TestMqttClient.RandomMac(), true)] });

        Assert.Equal(EnrollmentDecision.Pending, response.Decision);
        AssertNamesNoOtherDevice(response, original);
        var stillOriginal = (await Portal.FindDeviceAsync(d => d.Id == original.Id))!;
        Assert.Equal(EnrollmentState.Approved, stillOriginal.State);
        Assert.Equal(first.ClientId, stillOriginal.EnrollmentId);
        var cloned = (await Portal.FindDeviceAsync(d => d.EnrollmentId == clone.ClientId))!;
        Assert.Contains($"machine-id {request.MachineId} already belongs to device golden-image", cloned.Conflict, StringComparison.Ordinal);
    }

    /// <summary>The conflict answer goes to a client nobody vouched for: what kind of clash, not with whom.</summary>
    private static void AssertNamesNoOtherDevice(EnrollmentResponse response, Device other)
    {
        Assert.Equal(Fleet.Portal.Features.Enrollment.EnrollmentRequestHandler.ConflictReason, response.Reason);
        Assert.DoesNotContain(other.Hostname, response.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(other.Id.ToString("N"), response.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(other.MachineId, response.Reason, StringComparison.Ordinal);
    }

    private async Task AssertAnotherDeviceCanEnrollAsync()
    {
        var (other, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = other;
        Assert.Equal(EnrollmentDecision.Pending, (await other.EnrollAsync(TestMqttClient.Request())).Decision);
    }
}
