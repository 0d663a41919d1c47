using Fleet.Portal.Data;
using Fleet.Portal.Features.Audit;
using Fleet.Portal.Features.Enrollment;
using Fleet.Portal.Tests.Infrastructure;
using Fleet.Shared;
using Fleet.Shared.Messages;
using Microsoft.EntityFrameworkCore;
using MQTTnet;

namespace Fleet.Portal.Tests.Enrollment;

/// <summary>Enrolment policies end to end over the real broker: tokens, pre-registration, the reject list, claim codes, proof of possession.</summary>
public sealed class EnrollmentPolicyTests(EnrollmentFixture fixture) : IClassFixture<EnrollmentFixture>
{
    private PortalInstance Portal => fixture.Portal;

    [Fact]
    public async Task Policy_Default_ManualApproval()
    {
        await using var db = await Portal.CreateDbAsync();
        var stored = await db.EnrollmentSettings.SingleAsync(TestContext.Current.CancellationToken);

        // Other tests in this class switch policies on; the seeded row (and a fresh portal) is manual.
        Assert.Equal(EnrollmentSettings.SingletonId, stored.Id);
        Assert.False(new EnrollmentSettings().AutoApproveTokens);
        Assert.False(new EnrollmentSettings().AutoApprovePreRegistered);
    }

    [Fact]
    public async Task Token_ValidWithTokenPolicy_ApprovedAtOnceIntoItsGroupAndUseCounted()
    {
        await SetPolicyAsync(tokens: true);
        var token = await CreateTokenAsync("lab-token", maxUses: 5);
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;

        var answer = await client.EnrollAsync(TestMqttClient.Request(hostname: "token-device") with { EnrollmentToken = token.Value });

        Assert.Equal(EnrollmentDecision.Approved, answer.Decision);
        Assert.False(string.IsNullOrEmpty(answer.Secret));
        var device = (await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId))!;
        Assert.Equal(EnrollmentState.Approved, device.State);
        Assert.Equal("token:lab-token", device.ApprovedBy);
        Assert.Equal("lab-token", device.PresentedToken);
        var row = (await fixture.Enrollment.ListTokensAsync(TestContext.Current.CancellationToken)).Single(t => t.Name == "lab-token");
        Assert.Equal(1, row.Uses);
        var (deviceClient, code) = await TestMqttClient.ConnectAsync(Portal.MqttPort, answer.DeviceId!, answer.DeviceId!, answer.Secret!);
        await using var __ = deviceClient;
        Assert.Equal(MqttClientConnectResultCode.Success, code);
    }

    [Fact]
    public async Task Token_ExpiredOrRevokedOrUnknown_LeftPendingWithTheReasonRecorded()
    {
        await SetPolicyAsync(tokens: true);
        var expiring = await CreateTokenAsync("expiring-token", lifetimeDays: 1);
        var revoked = await CreateTokenAsync("revoked-token");
        Assert.True((await fixture.Enrollment.RevokeTokenAsync(revoked.Token.Id, TestActors.Operator, TestContext.Current.CancellationToken)).Succeeded);
        fixture.Clock.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));

        var expiredAnswer = await EnrolAsync("expired-device", expiring.Value);
        var revokedAnswer = await EnrolAsync("revoked-device", revoked.Value);
        var unknownAnswer = await EnrolAsync("unknown-token-device", "fet_not-a-token-at-all");

        Assert.Equal(EnrollmentDecision.Pending, expiredAnswer.Answer.Decision);
        Assert.Equal(EnrollmentDecision.Pending, revokedAnswer.Answer.Decision);
        Assert.Equal(EnrollmentDecision.Pending, unknownAnswer.Answer.Decision);
        Assert.Equal("expiring-token (expired)", (await DeviceAsync(expiredAnswer.EnrollmentId)).PresentedToken);
        Assert.Equal("revoked-token (revoked)", (await DeviceAsync(revokedAnswer.EnrollmentId)).PresentedToken);
        Assert.StartsWith("unknown", (await DeviceAsync(unknownAnswer.EnrollmentId)).PresentedToken, StringComparison.Ordinal);
        var rows = await fixture.Enrollment.ListTokensAsync(TestContext.Current.CancellationToken);
        Assert.Equal("expired", rows.Single(t => t.Name == "expiring-token").Unusable);
        Assert.Equal("revoked", rows.Single(t => t.Name == "revoked-token").Unusable);
        Assert.All(rows.Where(t => t.Name is "expiring-token" or "revoked-token"), t => Assert.Equal(0, t.Uses));
    }

    [Fact]
    public async Task Token_MaxUsesReached_NextDeviceLeftPending()
    {
        await SetPolicyAsync(tokens: true);
        var token = await CreateTokenAsync("single-use-token", maxUses: 1);

        var first = await EnrolAsync("first-use", token.Value);
        var second = await EnrolAsync("second-use", token.Value);

        Assert.Equal(EnrollmentDecision.Approved, first.Answer.Decision);
        Assert.Equal(EnrollmentDecision.Pending, second.Answer.Decision);
        Assert.Equal("single-use-token (used up)", (await DeviceAsync(second.EnrollmentId)).PresentedToken);
    }

    [Fact]
    public async Task PreRegistered_MacWithPolicy_ApprovedWithRegisteredHostname()
    {
        await SetPolicyAsync(preRegistered: true);
        var mac = TestMqttClient.RandomMac();
        var added = await fixture.Enrollment.AddPreRegistrationAsync(
            new PreRegistrationInput(mac, Hostname: "registered-name", Labels: "site=lyon, lab"), TestActors.Operator,
            TestContext.Current.CancellationToken);
        Assert.True(added.Succeeded, added.Message);
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;

        var answer = await client.EnrollAsync(TestMqttClient.Request(hostname: "reported-name", macs: [TestMqttClient.RandomMac(), mac]));

        Assert.Equal(EnrollmentDecision.Approved, answer.Decision);
        var device = await DeviceAsync(client.ClientId);
        Assert.Equal("pre-registered", device.ApprovedBy);
        Assert.Equal("registered-name", device.Hostname);

        // The labels it was announced with are its labels now.
        await using var db = await Portal.CreateDbAsync();
        var labels = await db.DeviceVariables.AsNoTracking().Where(v => v.DeviceId == device.Id)
            .Select(v => new { v.Name, v.Value }).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal([("labels.lab", ""), ("labels.site", "lyon")],
            labels.Select(l => (l.Name, l.Value)).Order());
    }

    [Fact]
    public async Task RejectList_MacMatches_RejectedAndNothingRecorded()
    {
        var mac = TestMqttClient.RandomMac();
        var added = await fixture.Enrollment.AddRejectRuleAsync(new RejectRuleInput(RejectKind.Mac, mac.ToUpperInvariant(), "stolen"), TestActors.Operator, TestContext.Current.CancellationToken);
        Assert.True(added.Succeeded, added.Message);
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;

        var answer = await client.EnrollAsync(TestMqttClient.Request(macs: mac));

        Assert.Equal(EnrollmentDecision.Rejected, answer.Decision);
        Assert.Null(await Portal.FindDeviceAsync(d => d.EnrollmentId == client.ClientId));
    }

    [Fact]
    public async Task EnrolmentKey_OtherKeyOrReplayedRequest_RefusedAndNoCredentialReissued()
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var request = TestMqttClient.Request(hostname: "keyed-device");
        Assert.Equal(EnrollmentDecision.Pending, (await client.EnrollAsync(request)).Decision);
        var device = await DeviceAsync(client.ClientId);
        await Portal.Devices.ApproveAsync(device.Id, TestActors.Operator, TestContext.Current.CancellationToken);
        var approved = await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse);
        Assert.Equal(EnrollmentDecision.Approved, approved.Decision);

        var forged = await client.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(5), EnrollmentKey = "someone-elses-key" });
        var keyless = await client.EnrollAsync(request with { SentAt = request.SentAt.AddSeconds(6), EnrollmentKey = null });
        var replayed = await client.EnrollAsync(request);

        Assert.Equal(EnrollmentDecision.Invalid, forged.Decision);
        Assert.Contains("enrollmentKey", forged.Reason, StringComparison.Ordinal);
        Assert.Equal(EnrollmentDecision.Invalid, keyless.Decision);
        Assert.Equal(EnrollmentDecision.Invalid, replayed.Decision);
        Assert.Contains("sentAt", replayed.Reason, StringComparison.Ordinal);
        var (deviceClient, code) = await TestMqttClient.ConnectAsync(Portal.MqttPort, approved.DeviceId!, approved.DeviceId!, approved.Secret!);
        await using var __ = deviceClient;
        Assert.Equal(MqttClientConnectResultCode.Success, code);
    }

    [Fact]
    public async Task ClaimCode_TypedByUser_ApprovesDeviceOnceAndFailuresAudited()
    {
        await SetPolicyAsync();
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var answer = await client.EnrollAsync(TestMqttClient.Request(hostname: "claim-me"));
        Assert.Equal(EnrollmentDecision.Pending, answer.Decision);
        Assert.Matches("^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}$", answer.ClaimCode);
        Assert.Contains("claim?code=", answer.ClaimUrl, StringComparison.Ordinal);
        var claimer = TestActors.User("claimer", Fleet.Portal.Features.Security.Roles.Operator);

        var claimed = await fixture.Claims.ClaimAsync(answer.ClaimCode!.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal), claimer, TestContext.Current.CancellationToken);
        var pushed = await client.ReceiveAsync(FleetJson.Default.EnrollmentResponse);
        var again = await fixture.Claims.ClaimAsync(answer.ClaimCode, claimer, TestContext.Current.CancellationToken);

        Assert.True(claimed.Succeeded, claimed.Message);
        Assert.Equal("claim-me", claimed.Value!.Hostname);
        Assert.Equal(EnrollmentDecision.Approved, pushed.Decision);
        Assert.Equal(OutcomeKind.Invalid, again.Kind);
        await using var db = await Portal.CreateDbAsync();
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "device.claim" && a.Actor == "claimer" && a.Outcome == AuditOutcome.Failed, TestContext.Current.CancellationToken));
        Assert.True(await db.AuditEntries.AnyAsync(a => a.Action == "device.claim" && a.Actor == "claimer" && a.Outcome == AuditOutcome.Succeeded, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ClaimCode_Expired_Refused()
    {
        await SetPolicyAsync();
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var answer = await client.EnrollAsync(TestMqttClient.Request(hostname: "claim-too-late"));
        fixture.Clock.Advance(TimeSpan.FromMinutes(61));

        var result = await fixture.Claims.ClaimAsync(answer.ClaimCode!, TestActors.User("late-claimer", Fleet.Portal.Features.Security.Roles.Operator), TestContext.Current.CancellationToken);

        Assert.Equal(OutcomeKind.Invalid, result.Kind);
        Assert.Equal(EnrollmentState.Pending, (await DeviceAsync(client.ClientId)).State);
    }

    [Fact]
    public async Task ClaimCode_GuessingFast_RateLimitedPerUser()
    {
        var guesser = TestActors.User("guesser", Fleet.Portal.Features.Security.Roles.Operator);
        var outcomes = new List<OutcomeKind>();
        for (var i = 0; i < 7; i++)
        {
            outcomes.Add((await fixture.Claims.ClaimAsync(
                "2222-2222-22", guesser, TestContext.Current.CancellationToken)).Kind);
        }

        Assert.Equal(5, outcomes.Count(o => o == OutcomeKind.Invalid));
        Assert.Equal(2, outcomes.Count(o => o == OutcomeKind.TooManyRequests));
        var other = await fixture.Claims.ClaimAsync("2222-2222-22", TestActors.User("someone-else", Fleet.Portal.Features.Security.Roles.Operator), TestContext.Current.CancellationToken);
        Assert.Equal(OutcomeKind.Invalid, other.Kind);
    }

    private async Task SetPolicyAsync(bool preRegistered = false, bool tokens = false) =>
        Assert.True((await fixture.Enrollment.SetPolicyAsync(new EnrollmentPolicyInput(preRegistered, tokens), TestActors.Operator, TestContext.Current.CancellationToken)).Succeeded);

    private async Task<CreatedToken> CreateTokenAsync(string name, int? maxUses = null, int? lifetimeDays = null)
    {
        var created = await fixture.Enrollment.CreateTokenAsync(new CreateTokenInput(name, null, lifetimeDays, maxUses), TestActors.Operator, TestContext.Current.CancellationToken);
        Assert.True(created.Succeeded, created.Message);
        return created.Value!;
    }

    private async Task<(string EnrollmentId, EnrollmentResponse Answer)> EnrolAsync(string hostname, string token)
    {
        var (client, _) = await TestMqttClient.ConnectBootstrapAsync(Portal.MqttPort);
        await using var _ = client;
        var answer = await client.EnrollAsync(TestMqttClient.Request(hostname: hostname) with { EnrollmentToken = token });
        return (client.ClientId, answer);
    }

    private async Task<Device> DeviceAsync(string enrollmentId) =>
        (await Portal.FindDeviceAsync(d => d.EnrollmentId == enrollmentId))!;
}
