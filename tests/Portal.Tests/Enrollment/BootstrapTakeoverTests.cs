using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Fleet.Portal.Features.Devices;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using MQTTnet;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>
/// Whoever learns an enrolment id (it was on the device page and in the API) must not be able to take over the
/// bootstrap session: the real broker refuses a CONNECT that does not present the bound enrolment key, the real
/// agent keeps its session and gets its credential, and HelpDesk never sees the id.
/// </summary>
public sealed class BootstrapTakeoverTests(PortalFixture fixture) : IClassFixture<PortalFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Connect_EnrollmentIdWithoutItsKey_RefusedRealAgentKeepsSessionAndGetsCredential()
    {
        var key = NewKey();
        var (agent, agentCode) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, enrollmentKey: key);
        await using var _ = agent;
        Assert.Equal(MqttClientConnectResultCode.Success, agentCode);
        var request = TestMqttClient.Request(hostname: "takeover-target") with { EnrollmentKey = key };
        Assert.Equal(EnrollmentDecision.Pending, (await agent.EnrollAsync(request)).Decision);
        var device = (await Portal.FindDeviceAsync(d => d.EnrollmentId == agent.ClientId))!;

        var (thief, thiefCode) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, agent.ClientId);
        await using var __ = thief;
        var (forger, forgerCode) =
            await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, agent.ClientId, enrollmentKey: NewKey());
        await using var ___ = forger;

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, thiefCode);
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, forgerCode);
        await Portal.Logs.WaitForAsync(e => e.Level == LogLevel.Warning
            && e.Message.Contains(agent.ClientId, StringComparison.Ordinal)
            && e.Message.Contains("presents none", StringComparison.Ordinal));
        await Portal.Logs.WaitForAsync(e => e.Level == LogLevel.Warning
            && e.Message.Contains("does not match the key", StringComparison.Ordinal));

        // The real session was not taken over: the approval reaches it, and only it.
        Assert.Equal(OutcomeKind.Done, (await Portal.Devices.ApproveAsync(device.Id, TestActors.Operator)).Kind);
        var approved = await agent.ReceiveAsync(FleetJson.Default.EnrollmentResponse);
        Assert.Equal(EnrollmentDecision.Approved, approved.Decision);
        Assert.Equal(device.Id.ToString("N"), approved.DeviceId);
        Assert.True(agent.IsConnected);
        Assert.False(thief.IsConnected);
        Assert.False(forger.IsConnected);
        Assert.False(thief.TryReceive(out var stolen), $"the thief received {stolen?.Topic}");
        Assert.False(forger.TryReceive(out stolen), $"the forger received {stolen?.Topic}");
    }

    [Fact]
    public async Task Connect_AgentReconnectsWithItsKey_AcceptedAndAnsweredAsBefore()
    {
        var key = NewKey();
        var (first, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, enrollmentKey: key);
        var request = TestMqttClient.Request(hostname: "reconnecting") with { EnrollmentKey = key };
        await using (first)
        {
            Assert.Equal(EnrollmentDecision.Pending, (await first.EnrollAsync(request)).Decision);
        }

        var (again, code) =
            await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, first.ClientId, enrollmentKey: key);
        await using var _ = again;

        Assert.Equal(MqttClientConnectResultCode.Success, code);
        var answer = await again.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(1) });
        Assert.Equal(EnrollmentDecision.Pending, answer.Decision);
    }

    [Fact]
    public async Task ReEnroll_ApprovedDevice_KeyStaysBoundIdAloneStillRefused()
    {
        var key = NewKey();
        var (agent, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, enrollmentKey: key);
        var request = TestMqttClient.Request(hostname: "re-enrolled") with { EnrollmentKey = key };
        Guid id;
        await using (agent)
        {
            await agent.EnrollAsync(request);
            id = (await Portal.FindDeviceAsync(d => d.EnrollmentId == agent.ClientId))!.Id;
            await Portal.Devices.ApproveAsync(id, TestActors.Operator);
            var approved = await agent.ReceiveAsync(FleetJson.Default.EnrollmentResponse);
            Assert.Equal(EnrollmentDecision.Approved, approved.Decision);
        }

        var credentials = Portal.Services.GetRequiredService<Fleet.Portal.Features.Enrollment.CredentialService>();
        Assert.True((await credentials.ReEnrollAsync(id, TestActors.Operator)).Succeeded);
        var (thief, thiefCode) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, agent.ClientId);
        await using var _ = thief;
        var (again, code) =
            await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, agent.ClientId, enrollmentKey: key);
        await using var __ = again;

        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, thiefCode);
        Assert.Equal(MqttClientConnectResultCode.Success, code);
        var answer = await again.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(1) });
        Assert.Equal(EnrollmentDecision.Pending, answer.Decision);
    }

    [Fact]
    public async Task Connect_EnrollmentWithoutBoundKey_AcceptedOnTheIdAlone()
    {
        // An agent too old to send an enrolment key binds none: its id alone still opens its session, as before.
        var (old, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using (old)
        {
            var keyless = TestMqttClient.Request(hostname: "keyless") with { EnrollmentKey = null };
            var response = await old.EnrollAsync(keyless);
            Assert.Equal(EnrollmentDecision.Pending, response.Decision);
        }

        var (again, code) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort, old.ClientId);
        await using var _ = again;

        Assert.Equal(MqttClientConnectResultCode.Success, code);
    }

    [Fact]
    public async Task GetDevice_HelpDeskToken_NoEnrollmentIdOperatorSeesIt()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using (client)
        {
            await client.EnrollAsync(TestMqttClient.Request(hostname: "secret-id"));
        }

        var device = (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;
        var helpDesk = await GetDeviceJsonAsync(device.Id, "HelpDesk");
        var operatorView = await GetDeviceJsonAsync(device.Id, "Operator");

        Assert.DoesNotContain(client.ClientId, helpDesk, StringComparison.Ordinal);
        using var helpDeskJson = JsonDocument.Parse(helpDesk);
        using var operatorJson = JsonDocument.Parse(operatorView);
        Assert.Equal(JsonValueKind.Null, helpDeskJson.RootElement.GetProperty("enrollmentId").ValueKind);
        Assert.Equal(client.ClientId, operatorJson.RootElement.GetProperty("enrollmentId").GetString());
    }

    [Theory]
    [InlineData(false, null, true)]
    [InlineData(false, "anything", true)]
    [InlineData(true, null, false)]
    [InlineData(true, "", false)]
    [InlineData(true, "another-key", false)]
    [InlineData(true, "the-key", true)]
    public void Refusal_BoundOrNotAndPresentedKey_AcceptedOnlyWithTheBoundKey(
        bool bound, string? presented, bool accepted)
    {
        var boundHash = bound ? SHA256.HashData("the-key"u8) : null;

        var refusal = Fleet.Portal.Features.Enrollment.BootstrapKeyCheck.Refusal(boundHash, presented);

        Assert.Equal(accepted, refusal is null);
    }

    [Fact]
    public void Refusal_OverlongKey_RefusedWithoutMatching()
    {
        var key = new string('k', 257);
        var hash = SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key));

        Assert.NotNull(Fleet.Portal.Features.Enrollment.BootstrapKeyCheck.Refusal(hash, key));
    }

    private async Task<string> GetDeviceJsonAsync(Guid id, string role)
    {
        var token = await ApiTokens.GetTokenAsync(Portal, role);
        using var response = await ApiTokens.GetAsync(Portal, $"/api/v1/devices/{id}", token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
