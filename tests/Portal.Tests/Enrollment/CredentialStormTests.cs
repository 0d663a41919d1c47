using System.Text.Json;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using MQTTnet;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>
/// Enrolment that converges however often a device asks: an approved device's retries and crossed answers get the
/// credential it was already given, and bad passwords from devices the portal knows never lock out their neighbours.
/// </summary>
public sealed class CredentialStormTests : IAsyncLifetime
{
    private PortalInstance _portal = null!;
    private MetricCollector<long> _credentials = null!;
    private MetricCollector<long> _lockouts = null!;

    public async ValueTask InitializeAsync()
    {
        _portal = await PortalInstance.StartAsync(new Dictionary<string, string?>
        {
            ["Fleet:Mqtt:BadPasswordsBeforeLockout"] = "3",
            ["Fleet:Mqtt:BadPasswordsPerAddressBeforeLockout"] = "5",
        });
        var meters = _portal.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        _credentials = new(meters, EnrollmentMetrics.MeterName, EnrollmentMetrics.CredentialsName);
        _lockouts = new(meters, EnrollmentMetrics.MeterName, EnrollmentMetrics.LockoutsName);
    }

    public async ValueTask DisposeAsync()
    {
        _credentials.Dispose();
        _lockouts.Dispose();
        await _portal.DisposeAsync();
    }

    [Fact]
    public async Task Enroll_ApprovedByTokenAndAskingAgainWhileAnswersCross_OneCredentialAnsweredEveryTime()
    {
        var token = await TokenPolicyAsync();
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(_portal.MqttPort);
        await using var _ = client;
        await client.SubscribeAsync(Topics.EnrollmentResponse(client.ClientId));
        var request = TestMqttClient.Request(hostname: "storm") with { EnrollmentToken = token };

        // Three requests before any answer is read, as an agent whose answers are slow sends them.
        for (var i = 0; i < 3; i++)
        {
            var again = request with { SentAt = request.SentAt.AddSeconds(i) };
            var payload = JsonSerializer.SerializeToUtf8Bytes(again, FleetJson.Default.EnrollmentRequest);
            var published = await client.PublishAsync(Topics.EnrollmentRequest(client.ClientId), payload);
            Assert.Equal(MqttClientPublishReasonCode.Success, published);
        }

        var answers = new List<EnrollmentResponse>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse));
        }

        Assert.All(answers, a => Assert.Equal(EnrollmentDecision.Approved, a.Decision));
        Assert.Single(answers.Select(a => a.Secret).Distinct());
        var id = answers[0].DeviceId!;
        var (device, code) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, answers[0].Secret!);
        await using var __ = device;
        Assert.Equal(MqttClientConnectResultCode.Success, code);

        // Still the same after the device used it (its state was lost but its enrolment key kept).
        var later = await client.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(10) });
        Assert.Equal(answers[0].Secret, later.Secret);
        Assert.Equal(new Dictionary<string, long> { ["issued"] = 1, ["repeated"] = 3 }, Answers());
    }

    [Fact]
    public async Task Enroll_PersonsApprovalMissedByAgent_ReissuedOnceThenRepeated()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(_portal.MqttPort);
        await using var _ = client;
        var request = TestMqttClient.Request(hostname: "missed-push");
        Assert.Equal(EnrollmentDecision.Pending, (await client.EnrollAsync(request)).Decision);
        var device = (await _portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;
        await _portal.Devices.ApproveAsync(device.Id, TestActors.Operator, TestContext.Current.CancellationToken);
        var pushed = await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse);

        // The push carries a random secret (a person's approval has no enrolment key at hand); the agent missed it.
        var first = await client.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(1) });
        var second = await client.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(2) });

        Assert.NotEqual(pushed.Secret, first.Secret);
        Assert.Equal(first.Secret, second.Secret);
        var id = first.DeviceId!;
        var (renewed, code) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, second.Secret!);
        await using var __ = renewed;
        Assert.Equal(MqttClientConnectResultCode.Success, code);
        Assert.Equal(new Dictionary<string, long> { ["issued"] = 1, ["reissued"] = 1, ["repeated"] = 1 }, Answers());
    }

    [Fact]
    public async Task BadPasswords_ManyKnownDevicesBehindOneAddress_OnlyThoseClientsLockedOut()
    {
        var devices = new List<(string Id, string Secret)>();
        for (var i = 0; i < 4; i++)
        {
            devices.Add(await ApprovedDevice.EnrolAsync(_portal, $"nat-{i}"));
        }

        // Three stale secrets each from three known devices: nine bad passwords from one address, over its limit of
        // five, yet no neighbour is locked out; each of the three is, at this address.
        foreach (var (id, _) in devices.Take(3))
        {
            for (var i = 0; i < 3; i++)
            {
                var code = await ConnectCodeAsync(id, $"stale-{i}");
                Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, code);
            }
        }

        Assert.Equal(MqttClientConnectResultCode.Success, await ConnectCodeAsync(devices[3].Id, devices[3].Secret));
        Assert.Equal(MqttClientConnectResultCode.Banned, await ConnectCodeAsync(devices[0].Id, devices[0].Secret));
        Assert.Equal(3, _lockouts.GetMeasurementSnapshot().Count(m => Equals(m.Tags["scope"], "client")));

        // Unknown identities are what a guesser presents: five of them lock out the whole address.
        for (var i = 0; i < 5; i++)
        {
            var unknown = Guid.NewGuid().ToString("N");
            Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await ConnectCodeAsync(unknown, "guess"));
        }

        Assert.Equal(MqttClientConnectResultCode.Banned, await ConnectCodeAsync(devices[3].Id, devices[3].Secret));
        Assert.Contains(_lockouts.GetMeasurementSnapshot(), m => Equals(m.Tags["scope"], "address"));
    }

    [Fact]
    public async Task BadPasswords_WrongEnrolmentKeysForKnownEnrolments_AddressNotLockedOut()
    {
        for (var i = 0; i < 3; i++)
        {
            var request = TestMqttClient.Request(hostname: $"keyed-{i}");
            var (client, _) = await TestMqttClient.ConnectBootstrapAsync(
                _portal.MqttPort, enrollmentKey: request.EnrollmentKey);
            await using (client)
            {
                Assert.Equal(EnrollmentDecision.Pending, (await client.EnrollAsync(request)).Decision);
            }

            // A reinstalled agent with a new key, twice: refused, counted against that enrolment only.
            for (var k = 0; k < 2; k++)
            {
                var (wrong, code) = await TestMqttClient.ConnectBootstrapAsync(
                    _portal.MqttPort, client.ClientId, enrollmentKey: $"other-{k}");
                await wrong.DisposeAsync();
                Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, code);
            }
        }

        var (fresh, freshCode) = await TestMqttClient.ConnectBootstrapAsync(_portal.MqttPort);
        await fresh.DisposeAsync();
        Assert.Equal(MqttClientConnectResultCode.Success, freshCode);
        Assert.Empty(_lockouts.GetMeasurementSnapshot());
    }

    private async Task<string> TokenPolicyAsync()
    {
        var enrollment = _portal.Services.GetRequiredService<EnrollmentService>();
        var ct = TestContext.Current.CancellationToken;
        await enrollment.SetPolicyAsync(new EnrollmentPolicyInput(false, true), TestActors.Operator, ct);
        var created = await enrollment.CreateTokenAsync(new CreateTokenInput("storm"), TestActors.Operator, ct);
        return created.Value!.Value;
    }

    private async Task<MqttClientConnectResultCode> ConnectCodeAsync(string id, string secret)
    {
        var (client, code) = await TestMqttClient.ConnectAsync(_portal.MqttPort, id, id, secret);
        await client.DisposeAsync();
        return code;
    }

    private Dictionary<string, long> Answers() => _credentials.GetMeasurementSnapshot()
        .GroupBy(m => (string)m.Tags["answer"]!)
        .ToDictionary(g => g.Key, g => g.Sum(m => m.Value));
}
